//! The SQLite store (rusqlite, bundled): scheduled meetings with their options, breakout room
//! definitions and pre-assignments, call records (`legs`), and a small key/value `meta` table
//! (the generated API token).
//!
//! ## Durability
//! The database runs in WAL mode with `synchronous=FULL`: a transaction is on disk before its
//! commit returns, so whatever the API acknowledged survives a crash or a power cut (the
//! operators need call records that are durable before they are acknowledged). FULL costs
//! one extra fsync of the WAL per commit compared with NORMAL; that cost is paid on the
//! [`writer`] thread, never on the engine, and the writer commits everything queued in one
//! transaction (group commit), so a burst of writes costs one fsync.
//!
//! ## Schema
//! Versioned with `PRAGMA user_version`; [`MIGRATIONS`] holds one SQL batch per version and
//! [`Store::open`] applies the missing ones in a transaction each. A database newer than this
//! binary is refused rather than misread.
//!
//! The store holds *scheduled* state only. Live state (who is in which room now) is rebuilt from
//! the calls that are up, so it is never written here.

pub mod writer;

pub use writer::{Ack, StoreHandle, StoreWriter};

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

/// Errors of the store layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database schema version {found} is newer than this roomgate understands ({known})")]
    TooNew { found: i64, known: i64 },
    #[error("store writer has stopped")]
    Closed,
}

/// One SQL batch per schema version; index 0 brings an empty database to version 1.
pub const MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE meetings (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        passcode   TEXT,
        -- meeting and breakout options as JSON (the API's BreakoutOptions and assign mode)
        options    TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
    );
    CREATE TABLE breakout_rooms (
        meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
        room_id    TEXT NOT NULL,
        name       TEXT NOT NULL,
        position   INTEGER NOT NULL,
        PRIMARY KEY (meeting_id, room_id)
    );
    CREATE TABLE preassignments (
        meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
        identity   TEXT NOT NULL,
        room_id    TEXT NOT NULL,
        position   INTEGER NOT NULL,
        PRIMARY KEY (meeting_id, identity)
    );
    -- Call records, one row per call leg, written when the leg starts and completed when it
    -- ends; rows with ended_at NULL at start-up were interrupted by a crash.
    CREATE TABLE legs (
        id          TEXT PRIMARY KEY,
        meeting_id  TEXT,
        call_id     TEXT,
        protocol    TEXT NOT NULL,
        remote      TEXT NOT NULL,
        user_agent  TEXT,
        started_at  INTEGER NOT NULL,
        ended_at    INTEGER,
        end_reason  TEXT,
        record      TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX legs_by_start ON legs (started_at);
    CREATE INDEX legs_by_meeting ON legs (meeting_id, started_at);",
];

/// A breakout room definition as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRoom {
    pub id: String,
    pub name: String,
}

/// A pre-assignment: a participant identity (SIP URI or display-name pattern) → room id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPreassignment {
    pub identity: String,
    pub room: String,
}

/// A scheduled meeting with everything that survives a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMeeting {
    pub id: String,
    pub name: String,
    pub passcode: Option<String>,
    /// JSON text; its shape belongs to the layer above (the runtime/API).
    pub options: String,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    pub rooms: Vec<StoredRoom>,
    pub preassignments: Vec<StoredPreassignment>,
}

/// A call record row. `record` is JSON whose shape the operators' layer owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegRecord {
    pub id: String,
    pub meeting_id: Option<String>,
    pub call_id: Option<String>,
    pub protocol: String,
    pub remote: String,
    pub user_agent: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
    pub record: String,
}

/// Which call records to read ([`Store::legs_between`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegQuery {
    /// Started at or after, Unix seconds.
    pub from: Option<i64>,
    /// Started before, Unix seconds.
    pub to: Option<i64>,
    pub meeting: Option<String>,
    pub limit: usize,
}

/// One write, as queued to the writer thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Insert or replace a meeting's own row (name, passcode, options); rooms and
    /// pre-assignments are left as they are.
    PutMeeting {
        id: String,
        name: String,
        passcode: Option<String>,
        options: String,
        created_at: i64,
    },
    /// Delete a meeting with its rooms and pre-assignments.
    DeleteMeeting { id: String },
    /// Replace a meeting's breakout room definitions (empty: no breakout rooms) and options.
    PutRooms {
        meeting: String,
        options: String,
        rooms: Vec<StoredRoom>,
    },
    /// Replace a meeting's pre-assignments.
    PutPreassignments {
        meeting: String,
        preassignments: Vec<StoredPreassignment>,
    },
    /// Insert or replace a call record.
    PutLeg(LegRecord),
    /// Set a `meta` key.
    SetMeta { key: String, value: String },
}

/// A connection to the store. Used directly at start-up (migrate, load) and then moved into
/// the [`StoreWriter`] thread, which is its only user while roomgate runs.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        Store::init(conn)
    }

    /// An in-memory store, for unit tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store, StoreError> {
        // WAL lets readers (call-record queries) run beside the writer; FULL: see module docs.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut store = Store { conn };
        store.migrate()?;
        Ok(store)
    }

    /// The journal mode and synchronous level in force (`("wal", 2)` = WAL with FULL), so the
    /// durability promise in the module docs can be checked.
    pub fn durability(&self) -> Result<(String, i64), StoreError> {
        let mode: String = self
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        let sync: i64 = self
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))?;
        Ok((mode, sync))
    }

    /// The schema version this database is at.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let known = MIGRATIONS.len() as i64;
        let found = self.schema_version()?;
        if found > known {
            return Err(StoreError::TooNew { found, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            // user_version cannot be bound as a parameter; `i + 1` is our own integer.
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
            tx.commit()?;
            tracing::info!(version = i + 1, "store schema migrated");
        }
        Ok(())
    }

    /// Reads a `meta` key.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Writes a `meta` key synchronously (start-up only; the engine goes through the writer).
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.apply(std::slice::from_ref(&Write::SetMeta {
            key: key.into(),
            value: value.into(),
        }))
    }

    /// True when no meeting has ever been stored (first start).
    pub fn is_fresh(&self) -> Result<bool, StoreError> {
        Ok(self.meta("initialized")?.is_none())
    }

    /// Loads every scheduled meeting with its rooms and pre-assignments, ordered by id.
    pub fn load_meetings(&self) -> Result<Vec<StoredMeeting>, StoreError> {
        let mut meetings = Vec::new();
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, passcode, options, created_at FROM meetings ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredMeeting {
                id: r.get(0)?,
                name: r.get(1)?,
                passcode: r.get(2)?,
                options: r.get(3)?,
                created_at: r.get(4)?,
                rooms: Vec::new(),
                preassignments: Vec::new(),
            })
        })?;
        for m in rows {
            meetings.push(m?);
        }
        let mut rooms = self.conn.prepare(
            "SELECT room_id, name FROM breakout_rooms WHERE meeting_id = ?1 ORDER BY position",
        )?;
        let mut pre = self.conn.prepare(
            "SELECT identity, room_id FROM preassignments WHERE meeting_id = ?1 ORDER BY position",
        )?;
        for m in &mut meetings {
            for r in rooms.query_map([&m.id], |r| {
                Ok(StoredRoom {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            })? {
                m.rooms.push(r?);
            }
            for p in pre.query_map([&m.id], |r| {
                Ok(StoredPreassignment {
                    identity: r.get(0)?,
                    room: r.get(1)?,
                })
            })? {
                m.preassignments.push(p?);
            }
        }
        Ok(meetings)
    }

    /// Loads one call record.
    pub fn leg(&self, id: &str) -> Result<Option<LegRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, meeting_id, call_id, protocol, remote, user_agent, started_at,
                        ended_at, end_reason, record FROM legs WHERE id = ?1",
                [id],
                |r| {
                    Ok(LegRecord {
                        id: r.get(0)?,
                        meeting_id: r.get(1)?,
                        call_id: r.get(2)?,
                        protocol: r.get(3)?,
                        remote: r.get(4)?,
                        user_agent: r.get(5)?,
                        started_at: r.get(6)?,
                        ended_at: r.get(7)?,
                        end_reason: r.get(8)?,
                        record: r.get(9)?,
                    })
                },
            )
            .optional()?)
    }

    /// A read-only connection beside the writer (WAL lets it read while the writer commits),
    /// for call-record queries. The database must exist and be migrated.
    pub fn open_reader(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Store { conn })
    }

    /// Call records that started in `[from, to)` (Unix seconds), optionally of one meeting,
    /// oldest first, at most `limit`.
    pub fn legs_between(&self, q: &LegQuery) -> Result<Vec<LegRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, meeting_id, call_id, protocol, remote, user_agent, started_at,
                    ended_at, end_reason, record FROM legs
             WHERE started_at >= ?1 AND started_at < ?2 AND (?3 IS NULL OR meeting_id = ?3)
             ORDER BY started_at, rowid LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            params![
                q.from.unwrap_or(i64::MIN),
                q.to.unwrap_or(i64::MAX),
                q.meeting,
                q.limit as i64
            ],
            |r| {
                Ok(LegRecord {
                    id: r.get(0)?,
                    meeting_id: r.get(1)?,
                    call_id: r.get(2)?,
                    protocol: r.get(3)?,
                    remote: r.get(4)?,
                    user_agent: r.get(5)?,
                    started_at: r.get(6)?,
                    ended_at: r.get(7)?,
                    end_reason: r.get(8)?,
                    record: r.get(9)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Closes call records left open by a crash as "interrupted"; returns how many.
    pub fn close_interrupted_legs(&mut self, now_unix: i64) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE legs SET ended_at = ?1, end_reason = 'interrupted' WHERE ended_at IS NULL",
            [now_unix],
        )?)
    }

    /// Applies writes in one transaction: all of them or none.
    pub fn apply(&mut self, writes: &[Write]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for w in writes {
            apply_one(&tx, w)?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn apply_one(tx: &rusqlite::Transaction<'_>, w: &Write) -> Result<(), StoreError> {
    match w {
        Write::PutMeeting {
            id,
            name,
            passcode,
            options,
            created_at,
        } => {
            // An upsert, not INSERT OR REPLACE: REPLACE deletes the row first, and the
            // cascade would drop the meeting's rooms and pre-assignments with it.
            tx.execute(
                "INSERT INTO meetings (id, name, passcode, options, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                    passcode = excluded.passcode, options = excluded.options",
                params![id, name, passcode, options, created_at],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('initialized', '1')",
                [],
            )?;
        }
        Write::DeleteMeeting { id } => {
            tx.execute("DELETE FROM meetings WHERE id = ?1", [id])?;
        }
        Write::PutRooms {
            meeting,
            options,
            rooms,
        } => {
            tx.execute(
                "UPDATE meetings SET options = ?2 WHERE id = ?1",
                params![meeting, options],
            )?;
            tx.execute(
                "DELETE FROM breakout_rooms WHERE meeting_id = ?1",
                [meeting],
            )?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO breakout_rooms (meeting_id, room_id, name, position)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (i, r) in rooms.iter().enumerate() {
                ins.execute(params![meeting, r.id, r.name, i as i64])?;
            }
        }
        Write::PutPreassignments {
            meeting,
            preassignments,
        } => {
            tx.execute(
                "DELETE FROM preassignments WHERE meeting_id = ?1",
                [meeting],
            )?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO preassignments (meeting_id, identity, room_id, position)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (i, p) in preassignments.iter().enumerate() {
                ins.execute(params![meeting, p.identity, p.room, i as i64])?;
            }
        }
        Write::PutLeg(l) => {
            tx.execute(
                "INSERT OR REPLACE INTO legs (id, meeting_id, call_id, protocol, remote,
                    user_agent, started_at, ended_at, end_reason, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    l.id,
                    l.meeting_id,
                    l.call_id,
                    l.protocol,
                    l.remote,
                    l.user_agent,
                    l.started_at,
                    l.ended_at,
                    l.end_reason,
                    l.record
                ],
            )?;
        }
        Write::SetMeta { key, value } => {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meeting(id: &str) -> Write {
        Write::PutMeeting {
            id: id.into(),
            name: format!("Meeting {id}"),
            passcode: None,
            options: "{}".into(),
            created_at: 1,
        }
    }

    #[test]
    fn migrates_to_latest() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert!(s.is_fresh().unwrap());
    }

    #[test]
    fn meeting_round_trips_with_rooms_and_preassignments() {
        let mut s = Store::open_in_memory().unwrap();
        s.apply(&[
            meeting("2000"),
            Write::PutRooms {
                meeting: "2000".into(),
                options: "{\"countdown_s\":10}".into(),
                rooms: vec![
                    StoredRoom {
                        id: "r2".into(),
                        name: "Room 2".into(),
                    },
                    StoredRoom {
                        id: "r1".into(),
                        name: "Room 1".into(),
                    },
                ],
            },
            Write::PutPreassignments {
                meeting: "2000".into(),
                preassignments: vec![StoredPreassignment {
                    identity: "sip:boardroom@corp.example".into(),
                    room: "r2".into(),
                }],
            },
        ])
        .unwrap();
        let m = &s.load_meetings().unwrap()[0];
        assert_eq!(m.options, "{\"countdown_s\":10}");
        assert_eq!(m.rooms[0].id, "r2", "room order is kept");
        assert_eq!(m.preassignments[0].room, "r2");
        assert!(!s.is_fresh().unwrap());
    }

    #[test]
    fn renaming_a_meeting_keeps_its_rooms() {
        let mut s = Store::open_in_memory().unwrap();
        s.apply(&[
            meeting("1"),
            Write::PutRooms {
                meeting: "1".into(),
                options: "{}".into(),
                rooms: vec![StoredRoom {
                    id: "a".into(),
                    name: "A".into(),
                }],
            },
        ])
        .unwrap();
        s.apply(&[meeting("1")]).unwrap();
        assert_eq!(s.load_meetings().unwrap()[0].rooms.len(), 1);
    }

    #[test]
    fn delete_cascades() {
        let mut s = Store::open_in_memory().unwrap();
        s.apply(&[
            meeting("1"),
            Write::PutPreassignments {
                meeting: "1".into(),
                preassignments: vec![StoredPreassignment {
                    identity: "x".into(),
                    room: "a".into(),
                }],
            },
            Write::DeleteMeeting { id: "1".into() },
        ])
        .unwrap();
        assert!(s.load_meetings().unwrap().is_empty());
        let n: i64 = s
            .conn
            .query_row("SELECT count(*) FROM preassignments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn a_failing_batch_applies_nothing() {
        let mut s = Store::open_in_memory().unwrap();
        // Rooms for a meeting that does not exist violate the foreign key.
        let err = s.apply(&[
            meeting("1"),
            Write::PutRooms {
                meeting: "nope".into(),
                options: "{}".into(),
                rooms: vec![StoredRoom {
                    id: "a".into(),
                    name: "A".into(),
                }],
            },
        ]);
        assert!(err.is_err());
        assert!(s.load_meetings().unwrap().is_empty());
    }

    #[test]
    fn interrupted_legs_are_closed() {
        let mut s = Store::open_in_memory().unwrap();
        let leg = LegRecord {
            id: "leg-1".into(),
            meeting_id: Some("1000".into()),
            call_id: Some("abc@host".into()),
            protocol: "SIP/UDP".into(),
            remote: "127.0.0.1:5062".into(),
            user_agent: None,
            started_at: 10,
            ended_at: None,
            end_reason: None,
            record: "{}".into(),
        };
        s.apply(&[Write::PutLeg(leg)]).unwrap();
        assert_eq!(s.close_interrupted_legs(20).unwrap(), 1);
        let l = s.leg("leg-1").unwrap().unwrap();
        assert_eq!(l.ended_at, Some(20));
        assert_eq!(l.end_reason.as_deref(), Some("interrupted"));
    }

    #[test]
    fn call_records_by_time_and_meeting() {
        let path = std::env::temp_dir().join(format!("roomgate-store-q-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut s = Store::open(&path).unwrap();
        let leg = |id: &str, meeting: &str, at: i64| {
            Write::PutLeg(LegRecord {
                id: id.into(),
                meeting_id: Some(meeting.into()),
                call_id: None,
                protocol: "SIP/UDP".into(),
                remote: "127.0.0.1:5062".into(),
                user_agent: None,
                started_at: at,
                ended_at: Some(at + 5),
                end_reason: Some("caller".into()),
                record: "{}".into(),
            })
        };
        s.apply(&[leg("a", "1", 10), leg("b", "2", 20), leg("c", "1", 30)])
            .unwrap();
        let r = Store::open_reader(&path).unwrap();
        let q = |from, to, meeting: Option<&str>| LegQuery {
            from,
            to,
            meeting: meeting.map(Into::into),
            limit: 100,
        };
        let ids = |v: Vec<LegRecord>| v.into_iter().map(|l| l.id).collect::<Vec<_>>();
        assert_eq!(
            ids(r.legs_between(&q(None, None, None)).unwrap()),
            ["a", "b", "c"]
        );
        assert_eq!(
            ids(r.legs_between(&q(Some(20), None, None)).unwrap()),
            ["b", "c"]
        );
        assert_eq!(
            ids(r.legs_between(&q(None, Some(30), Some("1"))).unwrap()),
            ["a"]
        );
        drop(r);
        drop(s);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = std::env::temp_dir().join(format!("roomgate-store-new-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        {
            let c = Connection::open(&dir).unwrap();
            c.execute_batch("PRAGMA user_version = 999").unwrap();
        }
        assert!(matches!(
            Store::open(&dir),
            Err(StoreError::TooNew { found: 999, .. })
        ));
        let _ = std::fs::remove_file(&dir);
    }
}
