-- Uploaded files (POST /api/v2/files), as the reference's upload flow: a template's source archive is
-- uploaded first and a template version then names it by file_id.
CREATE TABLE files (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- sha256 of the bytes: one user uploading the same bytes twice gets the same file back.
    hash varchar(64) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid NOT NULL REFERENCES users (id),
    mimetype varchar(64) NOT NULL,
    data bytea NOT NULL,
    CONSTRAINT files_hash_created_by_key UNIQUE (hash, created_by)
);

ALTER TABLE template_versions ADD COLUMN file_id uuid REFERENCES files (id);
