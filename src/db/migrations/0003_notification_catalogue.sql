-- Built-in notification templates: the reference's catalogue (coder/coder at
-- 3fa438f80, plus Task Completed / Task Failed from migration 000383).
-- This file is the source of truth for template texts; the id constants live in
-- src/notifications/templates/catalogue.ts.
--
-- Texts are Go text/template sources stored verbatim, so rendered output is
-- wire compatible with the reference. Herald differences (product.md 2.1):
-- the product name (OTP title uses {{ app_name }}, "Open Herald") and links to
-- the reference's public docs point at {{base_url}}/docs/... instead.
-- Strings use dollar quoting ($tpl$ … $tpl$): newlines are literal.

INSERT INTO notification_templates (id, name, title_template, body_template, actions, "group", method, kind, enabled_by_default) VALUES

-- Workspace Events -----------------------------------------------------------

('f517da0b-cdc9-410f-ab89-a86107c420ed', 'Workspace Deleted',
 $tpl$Workspace "{{.Labels.name}}" deleted$tpl$,
 $tpl$Your workspace **{{.Labels.name}}** was deleted.

The specified reason was "**{{.Labels.reason}}{{ if .Labels.initiator }} ({{ .Labels.initiator }}){{end}}**".$tpl$,
 $tpl$[{"label": "View workspaces", "url": "{{ base_url }}/workspaces"}, {"label": "View templates", "url": "{{ base_url }}/templates"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', true),

('381df2a9-c0c0-4749-420f-80a9280c66f9', 'Workspace Autobuild Failed',
 $tpl$Workspace "{{.Labels.name}}" autobuild failed$tpl$,
 $tpl$Automatic build of your workspace **{{.Labels.name}}** failed.

The specified reason was "**{{.Labels.reason}}**".$tpl$,
 $tpl$[{"label": "View workspace", "url": "{{ base_url }}/@{{.UserUsername}}/{{.Labels.name}}"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', true),

('2faeee0f-26cb-4e96-821c-85ccb9f71513', 'Workspace Manual Build Failed',
 $tpl$Workspace "{{.Labels.name}}" manual build failed$tpl$,
 $tpl$A manual build of the workspace **{{.Labels.name}}** using the template **{{.Labels.template_name}}** failed (version: **{{.Labels.template_version_name}}**).
The workspace build was initiated by **{{.Labels.initiator}}**.$tpl$,
 $tpl$[{"label": "View build", "url": "{{ base_url }}/@{{.Labels.workspace_owner_username}}/{{.Labels.name}}/builds/{{.Labels.workspace_build_number}}"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', true),

('0ea69165-ec14-4314-91f1-69566ac3c5a0', 'Workspace Marked as Dormant',
 $tpl$Workspace "{{.Labels.name}}" marked as dormant$tpl$,
 $tpl$Your workspace **{{.Labels.name}}** has been marked as [**dormant**]({{base_url}}/docs/admin/templates#dormancy) due to inactivity exceeding the dormancy threshold.

This workspace will be automatically deleted in {{.Labels.timeTilDormant}} if it remains inactive.

To prevent deletion, activate your workspace using the link below.$tpl$,
 $tpl$[{"label": "View workspace", "url": "{{ base_url }}/@{{.UserUsername}}/{{.Labels.name}}"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', true),

('51ce2fdf-c9ca-4be1-8d70-628674f9bc42', 'Workspace Marked for Deletion',
 $tpl$Workspace "{{.Labels.name}}" marked for deletion$tpl$,
 $tpl$Your workspace **{{.Labels.name}}** has been marked for **deletion** after {{.Labels.timeTilDormant}} of [dormancy]({{base_url}}/docs/admin/templates#dormancy) because of {{.Labels.reason}}.
To prevent deletion, use your workspace with the link below.$tpl$,
 $tpl$[{"label": "View workspace", "url": "{{ base_url }}/@{{.UserUsername}}/{{.Labels.name}}"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', true),

('c34a0c09-0704-4cac-bd1c-0c0146811c2b', 'Workspace Updated Automatically',
 $tpl$Workspace "{{.Labels.name}}" updated automatically$tpl$,
 $tpl$Your workspace **{{.Labels.name}}** has been updated automatically to the latest template version ({{.Labels.template_version_name}}).

Reason for update: **{{.Labels.template_version_message}}**.$tpl$,
 $tpl$[{"label": "View workspace", "url": "{{ base_url }}/@{{.UserUsername}}/{{.Labels.name}}"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', true),

('281fdf73-c6d6-4cbb-8ff5-888baf8a2fff', 'Workspace Created',
 $tpl$Workspace '{{.Labels.workspace}}' has been created$tpl$,
 $tpl$The workspace **{{.Labels.workspace}}** has been created from the template **{{.Labels.template}}** using version **{{.Labels.version}}**.$tpl$,
 $tpl$[{"label": "View workspace", "url": "{{base_url}}/@{{.Labels.workspace_owner_username}}/{{.Labels.workspace}}"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', false),

('d089fe7b-d5c5-4c0c-aaf5-689859f7d392', 'Workspace Manually Updated',
 $tpl$Workspace '{{.Labels.workspace}}' has been manually updated$tpl$,
 $tpl$A new workspace build has been manually created for your workspace **{{.Labels.workspace}}** by **{{.Labels.initiator}}** to update it to version **{{.Labels.version}}** of template **{{.Labels.template}}**.$tpl$,
 $tpl$[{"label": "View workspace", "url": "{{base_url}}/@{{.Labels.workspace_owner_username}}/{{.Labels.workspace}}"}, {"label": "View template version", "url": "{{base_url}}/templates/{{.Labels.organization}}/{{.Labels.template}}/versions/{{.Labels.version}}"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', false),

('a9d027b4-ac49-4fb1-9f6d-45af15f64e7a', 'Workspace Out Of Memory',
 $tpl$Your workspace "{{.Labels.workspace}}" is low on memory$tpl$,
 $tpl$Your workspace **{{.Labels.workspace}}** has reached the memory usage threshold set at **{{.Labels.threshold}}**.$tpl$,
 $tpl$[{"label": "View workspace", "url": "{{base_url}}/@{{.UserUsername}}/{{.Labels.workspace}}"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', true),

('f047f6a3-5713-40f7-85aa-0394cce9fa3a', 'Workspace Out Of Disk',
 $tpl$Your workspace "{{.Labels.workspace}}" is low on volume space$tpl$,
 $tpl${{ if eq (len .Data.volumes) 1 }}{{ $volume := index .Data.volumes 0 }}Volume **`{{$volume.path}}`** is over {{$volume.threshold}} full in workspace **{{.Labels.workspace}}**.{{ else }}The following volumes are nearly full in workspace **{{.Labels.workspace}}**

{{ range $volume := .Data.volumes }}- **`{{$volume.path}}`** is over {{$volume.threshold}} full
{{ end }}{{ end }}$tpl$,
 $tpl$[{"label": "View workspace", "url": "{{base_url}}/@{{.UserUsername}}/{{.Labels.workspace}}"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', true),

-- User Events ----------------------------------------------------------------

('4e19c0ac-94e1-4532-9515-d1801aa283b2', 'User account created',
 $tpl$User account "{{.Labels.created_account_name}}" created$tpl$,
 $tpl$New user account **{{.Labels.created_account_name}}** has been created.

This new user account was created {{if .Labels.created_account_user_name}}for **{{.Labels.created_account_user_name}}** {{end}}by **{{.Labels.initiator}}**.$tpl$,
 $tpl$[{"label": "View accounts", "url": "{{ base_url }}/deployment/users?filter=status%3Aactive"}]$tpl$::jsonb,
 'User Events', NULL, 'system', true),

('f44d9314-ad03-4bc8-95d0-5cad491da6b6', 'User account deleted',
 $tpl$User account "{{.Labels.deleted_account_name}}" deleted$tpl$,
 $tpl$User account **{{.Labels.deleted_account_name}}** has been deleted.

The deleted account {{if .Labels.deleted_account_user_name}}belonged to **{{.Labels.deleted_account_user_name}}** and {{end}}was deleted by **{{.Labels.initiator}}**.$tpl$,
 $tpl$[{"label": "View accounts", "url": "{{ base_url }}/deployment/users?filter=status%3Aactive"}]$tpl$::jsonb,
 'User Events', NULL, 'system', true),

('b02ddd82-4733-4d02-a2d7-c36f3598997d', 'User account suspended',
 $tpl$User account "{{.Labels.suspended_account_name}}" suspended$tpl$,
 $tpl$User account **{{.Labels.suspended_account_name}}** has been suspended.

The account {{if .Labels.suspended_account_user_name}}belongs to **{{.Labels.suspended_account_user_name}}** and it {{end}}was suspended by **{{.Labels.initiator}}**.$tpl$,
 $tpl$[{"label": "View suspended accounts", "url": "{{ base_url }}/deployment/users?filter=status%3Asuspended"}]$tpl$::jsonb,
 'User Events', NULL, 'system', true),

('9f5af851-8408-4e73-a7a1-c6502ba46689', 'User account activated',
 $tpl$User account "{{.Labels.activated_account_name}}" activated$tpl$,
 $tpl$User account **{{.Labels.activated_account_name}}** has been activated.

The account {{if .Labels.activated_account_user_name}}belongs to **{{.Labels.activated_account_user_name}}** and it {{ end }}was activated by **{{.Labels.initiator}}**.$tpl$,
 $tpl$[{"label": "View accounts", "url": "{{ base_url }}/deployment/users?filter=status%3Aactive"}]$tpl$::jsonb,
 'User Events', NULL, 'system', true),

('6a2f0609-9b69-4d36-a989-9f5925b6cbff', 'Your account has been suspended',
 $tpl$Your account "{{.Labels.suspended_account_name}}" has been suspended$tpl$,
 $tpl$Your account **{{.Labels.suspended_account_name}}** has been suspended by **{{.Labels.initiator}}**.$tpl$,
 $tpl$[]$tpl$::jsonb,
 'User Events', NULL, 'system', true),

('1a6a6bea-ee0a-43e2-9e7c-eabdb53730e4', 'Your account has been activated',
 $tpl$Your account "{{.Labels.activated_account_name}}" has been activated$tpl$,
 $tpl$Your account **{{.Labels.activated_account_name}}** has been activated by **{{.Labels.initiator}}**.$tpl$,
 $tpl$[{"label": "Open Herald", "url": "{{ base_url }}"}]$tpl$::jsonb,
 'User Events', NULL, 'system', true),

('62f86a30-2330-4b61-a26d-311ff3b608cf', 'One-Time Passcode',
 $tpl$Reset your password for {{ app_name }}$tpl$,
 $tpl$Use the link below to reset your password.

If you did not make this request, you can ignore this message.$tpl$,
 $tpl$[{"label": "Reset password", "url": "{{base_url}}/reset-password/change?otp={{.Labels.one_time_passcode}}&email={{.UserEmail | urlquery}}"}]$tpl$::jsonb,
 'User Events', NULL, 'system', true),

-- Template Events ------------------------------------------------------------

('29a09665-2a4c-403f-9648-54301670e7be', 'Template Deleted',
 $tpl$Template "{{.Labels.name}}" deleted$tpl$,
 $tpl$The template **{{.Labels.name}}** was deleted by **{{ .Labels.initiator }}**.

$tpl$,
 $tpl$[{"label": "View templates", "url": "{{ base_url }}/templates"}]$tpl$::jsonb,
 'Template Events', NULL, 'system', true),

('f40fae84-55a2-42cd-99fa-b41c1ca64894', 'Template Deprecated',
 $tpl$Template '{{.Labels.template}}' has been deprecated$tpl$,
 $tpl$The template **{{.Labels.template}}** has been deprecated with the following message:

**{{.Labels.message}}**

New workspaces may not be created from this template. Existing workspaces will continue to function normally.$tpl$,
 $tpl$[{"label": "See affected workspaces", "url": "{{base_url}}/workspaces?filter=owner%3Ame+template%3A{{.Labels.template}}"}, {"label": "View template", "url": "{{base_url}}/templates/{{.Labels.organization}}/{{.Labels.template}}"}]$tpl$::jsonb,
 'Template Events', NULL, 'system', true),

('34a20db2-e9cc-4a93-b0e4-8569699d7a00', 'Report: Workspace Builds Failed',
 $tpl$Failed workspace builds report$tpl$,
 $tpl$The following templates have had build failures over the last {{.Data.report_frequency}}:
{{range $template := .Data.templates}}
- **{{$template.display_name}}** failed to build {{$template.failed_builds}}/{{$template.total_builds}} times
{{end}}

**Report:**
{{range $template := .Data.templates}}
**{{$template.display_name}}**
{{range $version := $template.versions}}
- **{{$version.template_version_name}}** failed {{$version.failed_count}} time{{if gt $version.failed_count 1.0}}s{{end}}:
{{range $build := $version.failed_builds}}
   - [{{$build.workspace_owner_username}} / {{$build.workspace_name}} / #{{$build.build_number}}]({{base_url}}/@{{$build.workspace_owner_username}}/{{$build.workspace_name}}/builds/{{$build.build_number}})
{{end}}
{{end}}
{{end}}

We recommend reviewing these issues to ensure future builds are successful.$tpl$,
 $tpl$[{"label": "View workspaces", "url": "{{ base_url }}/workspaces?filter={{$first := true}}{{range $template := .Data.templates}}{{range $version := $template.versions}}{{range $build := $version.failed_builds}}{{if not $first}}+{{end}}id%3A{{$build.workspace_id}}{{$first = false}}{{end}}{{end}}{{end}}"}]$tpl$::jsonb,
 'Template Events', NULL, 'system', true),

('89d9745a-816e-4695-a17f-3d0a229e2b8d', 'Prebuilt Workspace Resource Replaced',
 $tpl$There might be a problem with a recently claimed prebuilt workspace$tpl$,
 $tpl$
Workspace **{{.Labels.workspace}}** was claimed from a prebuilt workspace by **{{.Labels.claimant}}**.

During the claim, Terraform destroyed and recreated the following resources
because one or more immutable attributes changed:

{{range $resource, $paths := .Data.replacements -}}
- _{{ $resource }}_  was replaced due to changes to _{{ $paths }}_
{{end}}

When Terraform must change an immutable attribute, it replaces the entire resource.
If you’re using prebuilds to speed up provisioning, unexpected replacements will slow down
workspace startup—even when claiming a prebuilt environment.

For tips on preventing replacements and improving claim performance, see [this guide]({{base_url}}/docs/admin/prebuilds#preventing-resource-replacement).

NOTE: this prebuilt workspace used the **{{.Labels.preset}}** preset.
$tpl$,
 $tpl$[{"label": "View workspace build", "url": "{{base_url}}/@{{.Labels.claimant}}/{{.Labels.workspace}}/builds/{{.Labels.workspace_build_num}}"}, {"label": "View template version", "url": "{{base_url}}/templates/{{.Labels.org}}/{{.Labels.template}}/versions/{{.Labels.template_version}}"}]$tpl$::jsonb,
 'Template Events', NULL, 'system', true),

('414d9331-c1fc-4761-b40c-d1f4702279eb', 'Prebuild Failure Limit Reached',
 $tpl$There is a problem creating prebuilt workspaces$tpl$,
 $tpl$
The number of failed prebuild attempts has reached the hard limit for template **{{ .Labels.template }}** and preset **{{ .Labels.preset }}**.

To resume prebuilds, fix the underlying issue and upload a new template version.

Refer to the documentation for more details:
- [Troubleshooting templates]({{base_url}}/docs/admin/templates/troubleshooting)
- [Troubleshooting of prebuilt workspaces]({{base_url}}/docs/admin/prebuilds#administration-and-troubleshooting)
$tpl$,
 $tpl$[{"label": "View failed prebuilt workspaces", "url": "{{base_url}}/workspaces?filter=owner:prebuilds+status:failed+template:{{.Labels.template}}"}, {"label": "View template version", "url": "{{base_url}}/templates/{{.Labels.org}}/{{.Labels.template}}/versions/{{.Labels.template_version}}"}]$tpl$::jsonb,
 'Template Events', NULL, 'system', true),

-- Task Events ----------------------------------------------------------------

('bd4b7168-d05e-4e19-ad0f-3593b77aa90f', 'Task Working',
 $tpl$Task '{{.Labels.workspace}}' is working$tpl$,
 $tpl$The task '{{.Labels.task}}' transitioned to a working state.$tpl$,
 $tpl$[{"label": "View task", "url": "{{base_url}}/tasks/{{.UserUsername}}/{{.Labels.workspace}}"}, {"label": "View workspace", "url": "{{base_url}}/@{{.UserUsername}}/{{.Labels.workspace}}"}]$tpl$::jsonb,
 'Task Events', NULL, 'system', true),

('d4a6271c-cced-4ed0-84ad-afd02a9c7799', 'Task Idle',
 $tpl$Task '{{.Labels.workspace}}' is idle$tpl$,
 $tpl$The task '{{.Labels.task}}' is idle and ready for input.$tpl$,
 $tpl$[{"label": "View task", "url": "{{base_url}}/tasks/{{.UserUsername}}/{{.Labels.workspace}}"}, {"label": "View workspace", "url": "{{base_url}}/@{{.UserUsername}}/{{.Labels.workspace}}"}]$tpl$::jsonb,
 'Task Events', NULL, 'system', true),

('8c5a4d12-9f7e-4b3a-a1c8-6e4f2d9b5a7c', 'Task Completed',
 $tpl$Task '{{.Labels.workspace}}' completed$tpl$,
 $tpl$The task '{{.Labels.task}}' has completed successfully.$tpl$,
 $tpl$[{"label": "View task", "url": "{{base_url}}/tasks/{{.UserUsername}}/{{.Labels.workspace}}"}, {"label": "View workspace", "url": "{{base_url}}/@{{.UserUsername}}/{{.Labels.workspace}}"}]$tpl$::jsonb,
 'Task Events', NULL, 'system', true),

('3b7e8f1a-4c2d-49a6-b5e9-7f3a1c8d6b4e', 'Task Failed',
 $tpl$Task '{{.Labels.workspace}}' failed$tpl$,
 $tpl$The task '{{.Labels.task}}' has failed. Check the logs for more details.$tpl$,
 $tpl$[{"label": "View task", "url": "{{base_url}}/tasks/{{.UserUsername}}/{{.Labels.workspace}}"}, {"label": "View workspace", "url": "{{base_url}}/@{{.UserUsername}}/{{.Labels.workspace}}"}]$tpl$::jsonb,
 'Task Events', NULL, 'system', true),

-- Notification / Custom ------------------------------------------------------

('c425f63e-716a-4bf4-ae24-78348f706c3f', 'Troubleshooting Notification',
 $tpl$A test notification$tpl$,
 $tpl$This is a test notification.$tpl$,
 $tpl$[{"label": "View notification settings", "url": "{{base_url}}/deployment/notifications?tab=settings"}]$tpl$::jsonb,
 'Notification Events', NULL, 'system', true),

('39b1e189-c857-4b0c-877a-511144c18516', 'Custom Notification',
 $tpl${{.Labels.custom_title}}$tpl$,
 $tpl${{.Labels.custom_message}}$tpl$,
 $tpl$[]$tpl$::jsonb,
 'Custom Events', NULL, 'custom', true);
