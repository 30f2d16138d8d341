//! The store on a real file: WAL with synchronous=FULL, migrated once (reopening keeps the
//! version and the data), and what the writer thread acknowledged is there after a reopen.

use roomgate::store::{Store, StoreWriter, StoredPreassignment, StoredRoom, Write, MIGRATIONS};

#[test]
fn reopen_keeps_schema_and_acknowledged_writes() {
    let path =
        std::env::temp_dir().join(format!("roomgate-store-reopen-{}.db", std::process::id()));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }

    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.durability().unwrap(),
        ("wal".to_owned(), 2),
        "WAL + FULL"
    );
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    assert!(store.is_fresh().unwrap());

    let (handle, writer) = StoreWriter::spawn(store).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    handle.write(Write::PutMeeting {
        id: "3000".into(),
        name: "Quarterly".into(),
        passcode: Some("1234".into()),
        options: "{\"countdown_s\":30}".into(),
        created_at: 1_700_000_000,
    });
    handle.write(Write::PutRooms {
        meeting: "3000".into(),
        options: "{\"countdown_s\":45}".into(),
        rooms: vec![
            StoredRoom {
                id: "1".into(),
                name: "East".into(),
            },
            StoredRoom {
                id: "2".into(),
                name: "West".into(),
            },
        ],
    });
    handle.write_then(
        Write::PutPreassignments {
            meeting: "3000".into(),
            preassignments: vec![StoredPreassignment {
                identity: "sip:*@east.example".into(),
                room: "East".into(),
            }],
        },
        Box::new(move |r| tx.send(r.is_ok()).unwrap()),
    );
    assert!(rx.recv().unwrap(), "acknowledged as durable");
    drop(handle);
    writer.join();

    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    assert!(!store.is_fresh().unwrap());
    let m = store.load_meetings().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].passcode.as_deref(), Some("1234"));
    assert_eq!(
        m[0].options, "{\"countdown_s\":45}",
        "PutRooms replaced the options"
    );
    let names: Vec<&str> = m[0].rooms.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["East", "West"]);
    assert_eq!(m[0].preassignments[0].identity, "sip:*@east.example");
    drop(store);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
}
