//! The store writer: one dedicated OS thread owns the SQLite connection and applies writes fed
//! to it over an unbounded channel, so the engine never blocks on the disk (a send to an
//! unbounded `std::sync::mpsc` channel never waits).
//!
//! Writes queued while a commit is in progress are committed together in the next transaction
//! (group commit: one fsync for a burst). Each write may carry an [`Ack`] that runs after its
//! transaction is durable — the runtime uses it to answer an API call only once what it
//! changed is on disk. If a batch fails, its writes are retried one transaction each so that a
//! single bad write cannot take the others down with it.

use std::sync::mpsc;
use std::thread::JoinHandle;

use super::{Store, StoreError, Write};

/// Runs after the write's transaction committed (`Ok`) or failed (`Err`).
pub type Ack = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

// Flushes are rare; boxing every write to shrink them would cost an allocation per write.
#[allow(clippy::large_enum_variant)]
enum Msg {
    Write(Write, Option<Ack>),
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// A cheap, cloneable handle to queue writes.
#[derive(Clone)]
pub struct StoreHandle {
    tx: mpsc::Sender<Msg>,
}

/// The writer thread; [`StoreWriter::join`] waits for it to commit everything and exit.
pub struct StoreWriter {
    thread: JoinHandle<()>,
}

/// Most writes committed in one transaction; bounds the latency of the first ack in a burst.
const MAX_BATCH: usize = 256;

impl StoreWriter {
    /// Moves `store` to a new thread. The thread exits once every [`StoreHandle`] is dropped
    /// and everything queued is committed.
    pub fn spawn(store: Store) -> std::io::Result<(StoreHandle, StoreWriter)> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("roomgate-store".into())
            .spawn(move || run(store, rx))?;
        Ok((StoreHandle { tx }, StoreWriter { thread }))
    }

    /// Blocks until the thread has exited (call from `spawn_blocking` in async code).
    pub fn join(self) {
        if self.thread.join().is_err() {
            tracing::error!("store writer thread panicked");
        }
    }
}

impl StoreHandle {
    /// Queues a write; never blocks. Returns false if the writer has stopped.
    pub fn write(&self, w: Write) -> bool {
        self.tx.send(Msg::Write(w, None)).is_ok()
    }

    /// Queues a write whose `ack` runs once it is durable (or failed). If the writer has
    /// stopped, `ack` runs now with [`StoreError::Closed`].
    pub fn write_then(&self, w: Write, ack: Ack) {
        if let Err(mpsc::SendError(Msg::Write(_, Some(ack)))) =
            self.tx.send(Msg::Write(w, Some(ack)))
        {
            ack(Err(&StoreError::Closed));
        }
    }

    /// Resolves once everything queued before this call is committed.
    pub fn flush(&self) -> tokio::sync::oneshot::Receiver<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // If the writer is gone, `tx` is dropped and the receiver resolves with an error.
        let _ = self.tx.send(Msg::Flush(tx));
        rx
    }
}

fn run(mut store: Store, rx: mpsc::Receiver<Msg>) {
    let mut batch: Vec<(Write, Option<Ack>)> = Vec::new();
    let mut flushes = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Write(w, ack) => batch.push((w, ack)),
                Msg::Flush(f) => flushes.push(f),
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        commit(&mut store, &mut batch);
        for f in flushes.drain(..) {
            let _ = f.send(());
        }
    }
    tracing::debug!("store writer: all handles dropped, exiting");
}

fn commit(store: &mut Store, batch: &mut Vec<(Write, Option<Ack>)>) {
    if batch.is_empty() {
        return;
    }
    let writes: Vec<Write> = batch.iter().map(|(w, _)| w.clone()).collect();
    match store.apply(&writes) {
        Ok(()) => {
            for (_, ack) in batch.drain(..) {
                if let Some(ack) = ack {
                    ack(Ok(()));
                }
            }
        }
        Err(e) if batch.len() == 1 => {
            tracing::error!(error = %e, "store write failed");
            if let Some((_, Some(ack))) = batch.pop() {
                ack(Err(&e));
            }
        }
        Err(_) => {
            // Find the bad write(s): retry one transaction each.
            for (w, ack) in batch.drain(..) {
                let r = store.apply(std::slice::from_ref(&w));
                if let Err(e) = &r {
                    tracing::error!(error = %e, write = ?w, "store write failed");
                }
                if let Some(ack) = ack {
                    ack(r.as_ref().map(|_| ()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoredRoom;
    use std::sync::{Arc, Mutex};

    fn temp_db(name: &str) -> std::path::PathBuf {
        let p =
            std::env::temp_dir().join(format!("roomgate-writer-{name}-{}.db", std::process::id()));
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
        }
        p
    }

    #[test]
    fn writes_are_durable_after_flush_and_join() {
        let path = temp_db("durable");
        let (h, w) = StoreWriter::spawn(Store::open(&path).unwrap()).unwrap();
        h.write(Write::PutMeeting {
            id: "1".into(),
            name: "one".into(),
            passcode: Some("42".into()),
            options: "{}".into(),
            created_at: 5,
        });
        h.flush().blocking_recv().unwrap();
        drop(h);
        w.join();
        let s = Store::open(&path).unwrap();
        assert_eq!(
            s.load_meetings().unwrap()[0].passcode.as_deref(),
            Some("42")
        );
    }

    #[test]
    fn a_bad_write_fails_alone() {
        let (h, w) = StoreWriter::spawn(Store::open_in_memory().unwrap()).unwrap();
        let results = Arc::new(Mutex::new(Vec::new()));
        let r1 = results.clone();
        let r2 = results.clone();
        h.write_then(
            Write::PutRooms {
                meeting: "missing".into(),
                options: "{}".into(),
                rooms: vec![StoredRoom {
                    id: "a".into(),
                    name: "A".into(),
                }],
            },
            Box::new(move |r| r1.lock().unwrap().push(("rooms", r.is_ok()))),
        );
        h.write_then(
            Write::SetMeta {
                key: "k".into(),
                value: "v".into(),
            },
            Box::new(move |r| r2.lock().unwrap().push(("meta", r.is_ok()))),
        );
        h.flush().blocking_recv().unwrap();
        drop(h);
        w.join();
        let mut got = results.lock().unwrap().clone();
        got.sort();
        assert_eq!(got, vec![("meta", true), ("rooms", false)]);
    }
}
