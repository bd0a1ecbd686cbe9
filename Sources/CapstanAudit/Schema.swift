import GRDB

/// The schema, versioned by GRDB's migrator (its `grdb_migrations` table names the versions a
/// file has). One table holds the one chain: a `kind` column plus typed columns per kind, so a
/// query is a plain `SELECT` in `seq` order and `verify()` is one scan.
///
/// Adding a row kind later is a new migration that adds nullable columns (`ALTER TABLE … ADD
/// COLUMN`): older rows hold NULL there, NULLs are not hashed (see `ChainHash`), so old chains
/// stay intact. No CHECK pins the set of kinds, for the same reason. Never edit a shipped
/// migration.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-runs-and-actions") { db in
            try db.execute(sql: """
                CREATE TABLE entries (
                    seq          INTEGER PRIMARY KEY,  -- 1, 2, 3, … over every row, no gaps
                    kind         TEXT    NOT NULL,     -- 'run' | 'action'
                    recorded_at  INTEGER NOT NULL,     -- ms since 1970, the store's clock
                    run_id       TEXT,                 -- run, action
                    revision     TEXT,                 -- run
                    triggered_by TEXT,                 -- run: cli | poll | webhook | manual | drift
                    started_at   INTEGER,              -- run, ms since 1970
                    finished_at  INTEGER,              -- run, ms since 1970
                    result       TEXT,                 -- run: succeeded | failed | partial | noop
                    address      TEXT,                 -- action, e.g. server.weather
                    action       TEXT,                 -- action: build | create | replace | …
                    before_hash  TEXT,                 -- action
                    after_hash   TEXT,                 -- action
                    outcome      TEXT,                 -- action: succeeded | failed | skipped
                    error        TEXT,                 -- action, at most 8 KiB
                    duration_ms  INTEGER,              -- action
                    prev_hash    TEXT    NOT NULL,
                    hash         TEXT    NOT NULL
                ) STRICT;
                CREATE INDEX entries_by_address ON entries(address);
                CREATE INDEX entries_by_run ON entries(run_id);
                CREATE INDEX entries_by_time ON entries(recorded_at);
                -- Append-only for every ordinary writer; whoever drops these is caught by verify().
                CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
                    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
                CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
                    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
                """)
        }
        // Gateway tool calls. They share `started_at`, `outcome`, `error` and `duration_ms`
        // with the earlier kinds (outcome: ok | tool-error | protocol-error | timeout | denied |
        // unavailable; error at most 1 KiB).
        //
        // Calls are nearly every row, so their queries go through indexes that start with
        // `kind`: a `(kind, column)` index lists one value's rows in `seq` order (SQLite appends
        // the rowid), so "the newest N calls of this client" reads N index entries, never the
        // whole table, and never sorts. `(kind)` alone serves unfiltered call queries and lets
        // `audit log` find the few runs and actions among millions of calls.
        migrator.registerMigration("v2-tool-calls") { db in
            try db.execute(sql: """
                ALTER TABLE entries ADD COLUMN client           TEXT;  -- call
                ALTER TABLE entries ADD COLUMN server           TEXT;  -- call
                ALTER TABLE entries ADD COLUMN tool             TEXT;  -- call
                ALTER TABLE entries ADD COLUMN decision         TEXT;  -- call: allowed | denied
                ALTER TABLE entries ADD COLUMN arguments_sha256 TEXT;  -- call, lowercase hex
                ALTER TABLE entries ADD COLUMN protocol_version TEXT;  -- call, when known
                CREATE INDEX entries_by_kind          ON entries(kind);
                CREATE INDEX entries_by_kind_client   ON entries(kind, client);
                CREATE INDEX entries_by_kind_server   ON entries(kind, server);
                CREATE INDEX entries_by_kind_tool     ON entries(kind, tool);
                CREATE INDEX entries_by_kind_decision ON entries(kind, decision);
                CREATE INDEX entries_by_kind_start    ON entries(kind, started_at);
                """)
        }
        return migrator
    }
}
