// The pages that notifications link to (issue 17): workspaces, a workspace, a build, a task,
// templates, a template, a template version and the users list. Each sets its own <title> and
// shows loading, empty and error (with Retry) states; data comes from the API through the contract's
// client. A running build's logs arrive over the follow WebSocket as they are written.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import {
  AI_PROMPT_PARAMETER,
  api,
  ApiError,
  buildLogsFollowUrl,
  errorText,
  RESOURCE_REPLACEMENTS_STAGE,
  templateScheduleRows,
  workspaceScheduleRows,
  type BuildLog,
  type Preset,
  type Template,
  type TemplateVersion,
  type User,
  type Workspace,
  type WorkspaceBuild,
} from '../api.js';
import { Link, navigate } from '../router.js';
import { hasRole, useSession } from '../session.js';
import { RelativeTime, useToast } from '../components/ui.js';

/** Sets the document title while the page is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Herald`;
  }, [title]);
}

type Load<T> = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ready'; data: T };

/** Runs `fn` now and whenever `key` changes; `retry` runs it again. */
export function useLoad<T>(fn: () => Promise<T>, key: string): Load<T> & { retry: () => void; reload: () => Promise<void> } {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [n, setN] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(fn, [key, n]);
  const reload = useCallback(async () => {
    try {
      setLoad({ state: 'ready', data: await run() });
    } catch (error) {
      setLoad({ state: 'error', error });
    }
  }, [run]);
  useEffect(() => {
    let live = true;
    setLoad({ state: 'loading' });
    run().then(
      (data) => live && setLoad({ state: 'ready', data }),
      (error: unknown) => live && setLoad({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [run]);
  return { ...load, retry: () => setN((x) => x + 1), reload };
}

/** Loading, error-with-Retry, empty, or the content. */
function Loaded<T>({ load, what, empty, children }: { load: Load<T> & { retry: () => void }; what: string; empty?: (d: T) => boolean; children: (d: T) => ReactNode }) {
  if (load.state === 'loading') return <p className="state-loading" role="status">Loading {what}…</p>;
  if (load.state === 'error') {
    return (
      <div className="alert alert-error state-error" role="alert">
        <span>Failed to load {what}: {errorText(load.error)}</span>{' '}
        <button type="button" className="btn btn-small" onClick={load.retry}>
          Retry
        </button>
      </div>
    );
  }
  if (empty?.(load.data)) return <p className="state-empty muted">No {what} yet.</p>;
  return <>{children(load.data)}</>;
}

const status = (s: string) => <span className={`tag status status-${s.replace(/[^a-z_]/g, '')}`}>{s.replace(/_/g, ' ')}</span>;
const wsPath = (w: { owner_name: string; name: string }) => `/@${w.owner_name}/${w.name}`;
const is = (err: unknown, code: number) => err instanceof ApiError && err.status === code;

// ---------------------------------------------------------------------------------------------
// Workspaces

/**
 * The reference's filter syntax. owner:, template: and name: go to the server; status:, dormant:
 * and id: (several id: terms match any) are applied to the answer here.
 */
export function parseWorkspaceFilter(filter: string): { server: string; status?: string; dormant?: boolean; ids: string[] } {
  const server: string[] = [];
  const out: { server: string; status?: string; dormant?: boolean; ids: string[] } = { server: '', ids: [] };
  for (const term of filter.split(/\s+/).filter(Boolean)) {
    const [k, v = ''] = term.includes(':') ? term.split(/:(.*)/s) : ['name', term];
    if (k === 'status') out.status = v;
    else if (k === 'dormant') out.dormant = v === 'true';
    else if (k === 'id') out.ids.push(v);
    else server.push(k === 'owner' && v === 'prebuilds' ? 'owner:prebuilds' : `${k}:${v}`);
  }
  out.server = server.join(' ');
  return out;
}

function matches(w: Workspace, f: ReturnType<typeof parseWorkspaceFilter>): boolean {
  if (f.ids.length && !f.ids.includes(w.id)) return false;
  if (f.status && w.latest_build?.status !== f.status) return false;
  if (f.dormant !== undefined && !!(w as { dormant_at?: string | null }).dormant_at !== f.dormant) return false;
  return true;
}

export function WorkspacesPage({ filter }: { filter: string }) {
  useTitle('Workspaces');
  const [text, setText] = useState(filter);
  useEffect(() => setText(filter), [filter]);
  const f = parseWorkspaceFilter(filter);
  const load = useLoad(async () => (await api.workspaces(f.server)).workspaces.filter((w) => matches(w, f)), filter);
  return (
    <>
      <h1>Workspaces</h1>
      <form
        className="filter"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/workspaces${text.trim() ? `?filter=${encodeURIComponent(text.trim())}` : ''}`);
        }}
      >
        <input aria-label="Filter workspaces" placeholder="owner:me template:docker status:failed" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" className="btn">
          Search
        </button>
      </form>
      <Loaded load={load} what="workspaces" empty={(d) => d.length === 0}>
        {(list) => (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Owner</th>
                  <th>Template</th>
                  <th>Status</th>
                  <th>Last used</th>
                </tr>
              </thead>
              <tbody>
                {list.map((w) => (
                  <tr key={w.id} data-workspace-id={w.id}>
                    <td>
                      <Link to={wsPath(w)}>{w.name}</Link>
                    </td>
                    <td>{w.owner_name}</td>
                    <td>
                      <Link to={`/templates/${w.organization_name}/${w.template_name}`}>{w.template_display_name || w.template_name}</Link>
                    </td>
                    <td>{status(w.latest_build?.status ?? 'unknown')}</td>
                    <td>
                      <RelativeTime iso={w.last_used_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
    </>
  );
}

/** A workspace by owner and name; a deleted one resolves to `{ deleted }`. */
async function loadWorkspace(owner: string, name: string): Promise<{ workspace: Workspace; deleted: boolean } | { missing: true }> {
  try {
    return { workspace: await api.workspaceByName(owner, name), deleted: false };
  } catch (err) {
    if (!is(err, 410) && !is(err, 404)) throw err;
    // Deleted workspaces are only found when asked for.
    try {
      const workspace = await api.workspaceByName(owner, name, true);
      return workspace.deleted ? { workspace, deleted: true } : { missing: true };
    } catch (again) {
      if (is(again, 404) || is(again, 410)) return { missing: true };
      throw again;
    }
  }
}

function Gone({ kind, name, owner, deletedAt }: { kind: string; name: string; owner?: string; deletedAt?: string }) {
  return (
    <section className="gone" data-page="gone">
      <h1>
        This {kind} was deleted
      </h1>
      <p>
        The {kind} <strong>{name}</strong>
        {owner ? ` of @${owner}` : ''} no longer exists{deletedAt ? <> (deleted <RelativeTime iso={deletedAt} />)</> : ''}. The notification that brought you here was
        sent before it was deleted.
      </p>
      <p>
        <Link to={kind === 'template' ? '/templates' : '/workspaces'}>See the {kind}s that exist</Link>
      </p>
    </section>
  );
}

function Missing({ kind, name }: { kind: string; name: string }) {
  return (
    <section className="gone" data-page="missing">
      <h1>No such {kind}</h1>
      <p>
        There is no {kind} <strong>{name}</strong>, or you are not allowed to see it.
      </p>
      <Link to={kind === 'template' ? '/templates' : '/workspaces'}>See the {kind}s you can open</Link>
    </section>
  );
}

function Breadcrumbs({ items }: { items: { to?: string; label: string }[] }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumbs">
      {items.map((i, k) => (
        <span key={k}>
          {k > 0 && ' / '}
          {i.to ? <Link to={i.to}>{i.label}</Link> : <span aria-current="page">{i.label}</span>}
        </span>
      ))}
    </nav>
  );
}

/** [label, value] rows as a definition list (schedules). */
function Facts({ rows, label }: { rows: [string, string][]; label: string }) {
  return (
    <dl className="facts" aria-label={label}>
      {rows.map(([k, v]) => (
        <div key={k} className="fact" data-fact={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function canChange(user: User, w: Workspace): boolean {
  return w.owner_id === user.id || hasRole(user, 'owner');
}

function Agents({ build }: { build: WorkspaceBuild }) {
  const agents = build.resources.flatMap((r) => r.agents ?? []);
  if (!agents.length) return <p className="muted state-empty">No agents in this build.</p>;
  return (
    <ul className="list">
      {agents.map((a) => (
        <li key={a.id}>
          <strong>{a.name}</strong> {status(a.status)} <span className="muted">{a.lifecycle_state}</span>
          {a.apps.length > 0 && (
            <ul>
              {a.apps.map((app) => (
                <li key={app.id}>
                  {app.slug}
                  {app.statuses[0] && (
                    <>
                      {' '}
                      {status(app.statuses[0].state)} {app.statuses[0].message}
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}

export function WorkspacePage({ owner, name }: { owner: string; name: string }) {
  useTitle(`${name} · @${owner}`);
  const { user } = useSession();
  const toast = useToast();
  const load = useLoad(async () => {
    const w = await loadWorkspace(owner, name);
    if ('missing' in w || w.deleted) return { w, builds: [] as WorkspaceBuild[] };
    return { w, builds: await api.builds(w.workspace.id) };
  }, `${owner}/${name}`);
  const [busy, setBusy] = useState(false);
  const act = async (w: Workspace, transition: 'start' | 'stop' | 'delete', versionId?: string) => {
    setBusy(true);
    try {
      const b = await api.createBuild(w.id, transition, versionId);
      toast('success', `Build #${b.build_number} (${transition}) queued`);
      await load.reload();
    } catch (err) {
      toast('error', `Could not ${transition} the workspace: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Loaded load={load} what="the workspace">
      {({ w, builds }) => {
        if ('missing' in w) return <Missing kind="workspace" name={`@${owner}/${name}`} />;
        if (w.deleted) return <Gone kind="workspace" name={name} owner={owner} deletedAt={w.workspace.updated_at} />;
        const ws = w.workspace;
        const b = ws.latest_build;
        return (
          <section data-page="workspace" data-workspace-id={ws.id}>
            <Breadcrumbs items={[{ to: '/workspaces', label: 'Workspaces' }, { label: `@${ws.owner_name}/${ws.name}` }]} />
            <h1>
              {ws.name} {b && status(b.status)}
            </h1>
            <p className="muted">
              Template <Link to={`/templates/${ws.organization_name}/${ws.template_name}`}>{ws.template_display_name || ws.template_name}</Link>
              {b && (
                <>
                  {' '}
                  · version{' '}
                  <Link to={`/templates/${ws.organization_name}/${ws.template_name}/versions/${b.template_version_name}`}>{b.template_version_name}</Link>
                </>
              )}
              {ws.outdated && <span className="tag">update available</span>}
            </p>
            {canChange(user, ws) && (
              <div className="actions">
                <button type="button" className="btn" disabled={busy} onClick={() => void act(ws, 'start')}>
                  Start
                </button>
                <button type="button" className="btn" disabled={busy} onClick={() => void act(ws, 'stop')}>
                  Stop
                </button>
                {ws.outdated && (
                  <button type="button" className="btn" disabled={busy} onClick={() => void act(ws, 'start', ws.template_active_version_id)}>
                    Update
                  </button>
                )}
                <button
                  type="button"
                  className="btn btn-danger"
                  disabled={busy}
                  onClick={() => {
                    if (confirm(`Delete the workspace ${ws.name}?`)) void act(ws, 'delete');
                  }}
                >
                  Delete
                </button>
              </div>
            )}
            {ws.latest_app_status && (
              <div className="card">
                <h2>Task</h2>
                <p>
                  {status(ws.latest_app_status.state)} {ws.latest_app_status.message} ·{' '}
                  <Link to={`/tasks/${ws.owner_name}/${ws.name}`}>View task</Link>
                </p>
              </div>
            )}
            <div className="card" data-section="schedule">
              <h2>Schedule</h2>
              <Facts rows={workspaceScheduleRows(ws)} label="Workspace schedule" />
            </div>
            <div className="card">
              <h2>Agents and apps</h2>
              {b ? <Agents build={b} /> : <p className="muted state-empty">No build yet.</p>}
            </div>
            <div className="card">
              <h2>Builds</h2>
              {builds.length === 0 ? (
                <p className="muted state-empty">No builds yet.</p>
              ) : (
                <ul className="list">
                  {builds.map((x) => (
                    <li key={x.id}>
                      <Link to={`${wsPath(ws)}/builds/${x.build_number}`}>#{x.build_number}</Link> {x.transition} {status(x.status)}{' '}
                      <span className="muted">
                        by {x.initiator_name}, <RelativeTime iso={x.created_at} />
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </section>
        );
      }}
    </Loaded>
  );
}

/** The build's job has not finished: its logs are still being written. */
const busy = (b: WorkspaceBuild) => b.job.status === 'pending' || b.job.status === 'running';

type LogState = { state: 'loading' | 'live' | 'done' } | { state: 'error'; error: unknown };

/**
 * A build's logs: a finished build's are read once; a running build's come over the follow socket,
 * each line as the provisioner writes it, until the server closes it when the build ends.
 */
function useBuildLogs(build: WorkspaceBuild, onFinished: () => void): { lines: BuildLog[]; state: LogState; retry: () => void } {
  const [lines, setLines] = useState<BuildLog[]>([]);
  const [state, setState] = useState<LogState>({ state: 'loading' });
  const [n, setN] = useState(0);
  const running = busy(build);
  useEffect(() => {
    let live = true;
    if (!running) {
      api.buildLogs(build.id).then(
        (l) => {
          if (!live) return;
          setLines(l);
          setState({ state: 'done' });
        },
        (error: unknown) => live && setState({ state: 'error', error }),
      );
      return () => {
        live = false;
      };
    }
    setLines([]);
    setState({ state: 'loading' });
    const ws = new WebSocket(buildLogsFollowUrl(build.id));
    ws.onopen = () => live && setState({ state: 'live' });
    ws.onmessage = (e: MessageEvent<string>) => {
      if (!live) return;
      const line = JSON.parse(e.data) as BuildLog;
      setLines((prev) => (prev.length && prev[prev.length - 1]!.id >= line.id ? prev : [...prev, line]));
    };
    ws.onclose = (e) => {
      if (!live) return;
      if (e.code === 1000) {
        setState({ state: 'done' });
        onFinished();
      } else setState({ state: 'error', error: new Error('the live log stream was interrupted') });
    };
    return () => {
      live = false;
      ws.close();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [build.id, running, n]);
  return { lines, state, retry: () => setN((x) => x + 1) };
}

/** The warning lines a prebuilt workspace's claim wrote when its plan replaced resources. */
function Replacements({ lines }: { lines: BuildLog[] }) {
  const warn = lines.filter((l) => l.stage === RESOURCE_REPLACEMENTS_STAGE);
  if (!warn.length) return null;
  const [summary, ...items] = warn;
  return (
    <div className="alert alert-warning replacements" role="status" data-section="replacements">
      <strong>Resources replaced.</strong> {summary!.output}
      {items.length > 0 && (
        <ul>
          {items.map((l) => (
            <li key={l.id}>{l.output.trim()}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function BuildLogs({ build, onFinished }: { build: WorkspaceBuild; onFinished: () => void }) {
  const { lines, state, retry } = useBuildLogs(build, onFinished);
  return (
    <>
      <Replacements lines={lines} />
      <h2>
        Logs{' '}
        {state.state === 'live' && (
          <span className="tag live" aria-label="Streaming live">
            live
          </span>
        )}
      </h2>
      {state.state === 'error' ? (
        <div className="alert alert-error state-error" role="alert">
          <span>Failed to load the logs: {errorText(state.error)}</span>{' '}
          <button type="button" className="btn btn-small" onClick={retry}>
            Retry
          </button>
        </div>
      ) : null}
      {state.state === 'loading' && lines.length === 0 ? (
        <p className="state-loading" role="status">
          Loading the logs…
        </p>
      ) : lines.length === 0 ? (
        <p className="muted state-empty">{state.state === 'live' ? 'Waiting for the first log line…' : 'This build wrote no logs.'}</p>
      ) : (
        // Focusable so the keyboard can scroll it; role log: screen readers hear new lines politely.
        <pre className="logs" role="log" aria-label="Build logs" tabIndex={0} data-lines={lines.length}>
          {lines.map((l) => `${l.stage ? `[${l.stage}] ` : ''}${l.output}`).join('\n')}
        </pre>
      )}
    </>
  );
}

export function BuildPage({ owner, name, number }: { owner: string; name: string; number: number }) {
  useTitle(`Build #${number} · ${name}`);
  const load = useLoad(async () => {
    const w = await loadWorkspace(owner, name);
    if ('missing' in w || w.deleted) return { w, build: undefined, parameters: [] as { name: string; value: string }[] };
    let build: WorkspaceBuild | undefined;
    try {
      build = await api.buildByNumber(owner, name, number);
    } catch (err) {
      if (!is(err, 404)) throw err;
    }
    return { w, build, parameters: build ? await api.buildParameters(build.id) : [] };
  }, `${owner}/${name}/${number}`);
  const { reload } = load;
  const finished = useCallback(() => void reload(), [reload]);
  return (
    <Loaded load={load} what="the build">
      {({ w, build, parameters }) => {
        if ('missing' in w) return <Missing kind="workspace" name={`@${owner}/${name}`} />;
        if (w.deleted) return <Gone kind="workspace" name={name} owner={owner} deletedAt={w.workspace.updated_at} />;
        if (!build) return <Missing kind="build" name={`#${number} of ${name}`} />;
        const ws = w.workspace;
        return (
          <section data-page="build" data-build-id={build.id} data-status={build.status}>
            <Breadcrumbs items={[{ to: '/workspaces', label: 'Workspaces' }, { to: wsPath(ws), label: `@${ws.owner_name}/${ws.name}` }, { label: `Build #${number}` }]} />
            <h1>
              Build #{build.build_number} {status(build.status)}
            </h1>
            <dl className="facts">
              <dt>Transition</dt>
              <dd>{build.transition}</dd>
              <dt>Reason</dt>
              <dd>{build.reason}</dd>
              <dt>Initiator</dt>
              <dd>{build.initiator_name}</dd>
              <dt>Template version</dt>
              <dd>
                <Link to={`/templates/${ws.organization_name}/${ws.template_name}/versions/${build.template_version_name}`}>{build.template_version_name}</Link>
              </dd>
              <dt>Started</dt>
              <dd>
                <RelativeTime iso={build.created_at} />
              </dd>
            </dl>
            {build.job.error && <div className="alert alert-error">{build.job.error}</div>}
            <h2>Parameters</h2>
            {parameters.length === 0 ? (
              <p className="muted state-empty">This build has no parameters.</p>
            ) : (
              <dl className="facts" aria-label="Build parameters" data-section="parameters">
                {parameters.map((p) => (
                  <div key={p.name} className="fact">
                    <dt>{p.name}</dt>
                    <dd>{p.value === '' ? <span className="muted">(empty)</span> : p.value}</dd>
                  </div>
                ))}
              </dl>
            )}
            <BuildLogs key={build.id} build={build} onFinished={finished} />
          </section>
        );
      }}
    </Loaded>
  );
}

export function TaskPage({ owner, name }: { owner: string; name: string }) {
  useTitle(`Task ${name}`);
  const load = useLoad(async () => {
    const w = await loadWorkspace(owner, name);
    if ('missing' in w || w.deleted || !w.workspace.latest_build) return { w, prompt: undefined };
    // The prompt is the task's "AI Prompt" parameter, as the reference's task page shows it.
    const params = await api.buildParameters(w.workspace.latest_build.id);
    return { w, prompt: params.find((p) => p.name === AI_PROMPT_PARAMETER)?.value };
  }, `task/${owner}/${name}`);
  return (
    <Loaded load={load} what="the task">
      {({ w, prompt }) => {
        if ('missing' in w) return <Missing kind="task" name={`@${owner}/${name}`} />;
        if (w.deleted) return <Gone kind="workspace" name={name} owner={owner} deletedAt={w.workspace.updated_at} />;
        const ws = w.workspace;
        const statuses = (ws.latest_build?.resources ?? [])
          .flatMap((r) => r.agents ?? [])
          .flatMap((a) => a.apps.flatMap((app) => app.statuses.map((st) => ({ ...st, app: app.display_name || app.slug }))))
          .sort((a, b) => b.created_at.localeCompare(a.created_at));
        const current = ws.latest_app_status;
        return (
          <section data-page="task" data-workspace-id={ws.id}>
            <Breadcrumbs items={[{ to: wsPath(ws), label: `@${ws.owner_name}/${ws.name}` }, { label: 'Task' }]} />
            <h1>
              Task {ws.name} {current ? status(current.state) : status(ws.latest_build?.status ?? 'unknown')}
            </h1>
            <h2>Prompt</h2>
            {prompt ? (
              <blockquote className="prompt" aria-label="Prompt">
                {prompt}
              </blockquote>
            ) : (
              <p className="muted state-empty">This task was started without a prompt.</p>
            )}
            <h2>Current state</h2>
            <div className="card" data-section="current-state">
              {current ? (
                <p>
                  {status(current.state)} {current.message}{' '}
                  <span className="muted">
                    <RelativeTime iso={current.created_at} />
                  </span>
                  {current.uri && (
                    <>
                      {' '}
                      · <a href={current.uri}>{current.uri}</a>
                    </>
                  )}
                </p>
              ) : (
                <p className="muted state-empty">The task has not reported a state yet; its workspace is {(ws.latest_build?.status ?? 'unknown').replace(/_/g, ' ')}.</p>
              )}
            </div>
            <h2>Status history</h2>
            {statuses.length === 0 ? (
              <p className="muted state-empty">The task has not reported a status yet.</p>
            ) : (
              <ol className="timeline" aria-label="Status history">
                {statuses.map((s) => (
                  <li key={s.id}>
                    {status(s.state)} {s.message}{' '}
                    <span className="muted">
                      {s.app} · <RelativeTime iso={s.created_at} />
                    </span>
                  </li>
                ))}
              </ol>
            )}
            <p>
              <Link to={wsPath(ws)}>Open the workspace</Link>
            </p>
          </section>
        );
      }}
    </Loaded>
  );
}

// ---------------------------------------------------------------------------------------------
// Templates

export function TemplatesPage() {
  useTitle('Templates');
  const load = useLoad(() => api.templatesList(), 'templates');
  return (
    <>
      <h1>Templates</h1>
      <Loaded load={load} what="templates" empty={(d) => d.length === 0}>
        {(list) => (
          <ul className="list cards">
            {list.map((t) => (
              <li key={t.id} className="card" data-template-id={t.id}>
                <Link to={`/templates/${t.organization_name}/${t.name}`}>
                  <strong>{t.display_name || t.name}</strong>
                </Link>
                {t.deprecated && <span className="tag">deprecated</span>}
                <p className="muted">{t.description}</p>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </>
  );
}

async function loadTemplate(org: string, name: string): Promise<{ template: Template; versions: TemplateVersion[] } | undefined> {
  try {
    const template = await api.templateByName(org, name);
    return { template, versions: await api.templateVersions(template.id) };
  } catch (err) {
    if (is(err, 404) || is(err, 410)) return undefined;
    throw err;
  }
}

function Deprecation({ t }: { t: Template }) {
  if (!t.deprecated) return null;
  return (
    <div className="alert alert-warning" role="status">
      This template is deprecated{t.deprecation_message ? `: ${t.deprecation_message}` : '.'}
    </div>
  );
}

export function TemplatePage({ org, name }: { org: string; name: string }) {
  useTitle(`Template ${name}`);
  const load = useLoad(() => loadTemplate(org, name), `${org}/${name}`);
  return (
    <Loaded load={load} what="the template">
      {(d) => {
        if (!d) return <Gone kind="template" name={name} />;
        const { template: t, versions } = d;
        return (
          <section data-page="template" data-template-id={t.id}>
            <Breadcrumbs items={[{ to: '/templates', label: 'Templates' }, { label: t.display_name || t.name }]} />
            <h1>{t.display_name || t.name}</h1>
            <Deprecation t={t} />
            <p className="muted">{t.description}</p>
            <p>
              <Link to={`/workspaces?filter=${encodeURIComponent(`template:${t.name}`)}`}>Workspaces from this template</Link>
            </p>
            <div className="card" data-section="schedule">
              <h2>Schedule</h2>
              <Facts rows={templateScheduleRows(t)} label="Template schedule" />
            </div>
            <h2>Versions</h2>
            {versions.length === 0 ? (
              <p className="muted state-empty">No versions yet.</p>
            ) : (
              <ul className="list">
                {versions.map((v) => (
                  <li key={v.id}>
                    <Link to={`/templates/${org}/${t.name}/versions/${v.name}`}>{v.name}</Link>
                    {v.id === t.active_version_id && <span className="tag">active</span>} {status(v.job.status)}{' '}
                    <span className="muted">
                      by {v.created_by.username}, <RelativeTime iso={v.created_at} />
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      }}
    </Loaded>
  );
}

export function TemplateVersionPage({ org, name, version }: { org: string; name: string; version: string }) {
  useTitle(`${name} ${version}`);
  const load = useLoad(async () => {
    const d = await loadTemplate(org, name);
    if (!d) return undefined;
    const v = d.versions.find((x) => x.name === version);
    return { ...d, version: v, presets: v ? await api.presets(v.id) : ([] as Preset[]) };
  }, `${org}/${name}/${version}`);
  return (
    <Loaded load={load} what="the template version">
      {(d) => {
        if (!d) return <Gone kind="template" name={name} />;
        if (!d.version) return <Missing kind="template version" name={`${version} of ${name}`} />;
        const { template: t, version: v, presets } = d;
        return (
          <section data-page="template-version" data-version-id={v.id}>
            <Breadcrumbs items={[{ to: '/templates', label: 'Templates' }, { to: `/templates/${org}/${t.name}`, label: t.display_name || t.name }, { label: v.name }]} />
            <h1>
              {t.display_name || t.name} · {v.name} {v.id === t.active_version_id && <span className="tag">active</span>}
            </h1>
            <Deprecation t={t} />
            {v.message && <p>{v.message}</p>}
            {v.job.error && <div className="alert alert-error">{v.job.error}</div>}
            <h2>Presets and prebuilds</h2>
            {presets.length === 0 ? (
              <p className="muted state-empty">This version has no presets.</p>
            ) : (
              <ul className="list">
                {presets.map((p) => (
                  <li key={p.ID}>
                    <strong>{p.Name}</strong>
                    {p.Default && <span className="tag">default</span>}
                    {p.DesiredPrebuildInstances != null && (
                      <span className="muted">
                        {' '}
                        · {p.DesiredPrebuildInstances} prebuilt {p.DesiredPrebuildInstances === 1 ? 'workspace' : 'workspaces'}
                      </span>
                    )}{' '}
                    {p.prebuild_status === 'hard_limited' ? (
                      <span className="alert alert-warning inline">Prebuilds stopped: too many failed (hard limit reached)</span>
                    ) : (
                      p.prebuild_status && status(p.prebuild_status)
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      }}
    </Loaded>
  );
}

// ---------------------------------------------------------------------------------------------
// Users (owners and user admins)

export function UsersPage({ filter }: { filter: string }) {
  useTitle('Users');
  const toast = useToast();
  const [text, setText] = useState(filter);
  useEffect(() => setText(filter), [filter]);
  const load = useLoad(async () => (await api.users(filter)).users, filter);
  const change = async (u: User, to: 'suspend' | 'activate') => {
    try {
      await (to === 'suspend' ? api.suspendUser(u.id) : api.activateUser(u.id));
      toast('success', `${u.username} ${to === 'suspend' ? 'suspended' : 'activated'}`);
      await load.reload();
    } catch (err) {
      toast('error', `Could not ${to} ${u.username}: ${errorText(err)}`);
    }
  };
  return (
    <>
      <h1>Users</h1>
      <form
        className="filter"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/deployment/users${text.trim() ? `?filter=${encodeURIComponent(text.trim())}` : ''}`);
        }}
      >
        <input aria-label="Filter users" placeholder="status:active" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" className="btn">
          Search
        </button>
      </form>
      <Loaded load={load} what="users" empty={(d) => d.length === 0}>
        {(list) => (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th>User</th>
                  <th>Status</th>
                  <th>Roles</th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {list.map((u) => (
                  <tr key={u.id} data-user-id={u.id}>
                    <td>
                      <strong>{u.username}</strong> <span className="muted">{u.email}</span>
                    </td>
                    <td>{status(u.status)}</td>
                    <td>{u.roles.map((r) => r.display_name || r.name).join(', ') || '—'}</td>
                    <td>
                      {u.status === 'suspended' ? (
                        <button type="button" className="btn btn-small" onClick={() => void change(u, 'activate')}>
                          Activate
                        </button>
                      ) : (
                        <button type="button" className="btn btn-small" onClick={() => void change(u, 'suspend')}>
                          Suspend
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
    </>
  );
}
