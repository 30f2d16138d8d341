//! A room system on IPv6: SIP over UDP and TCP on [::1]; our Contact names our IPv6 address
//! and the SDP answer puts our media on IPv6 too (`c=IN IP6 ::1`), so neither its in-dialog
//! requests nor its RTP have to cross address families.

use crate::support;

use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use support::Roomgate;

fn free_port_v6() -> u16 {
    loop {
        let tcp = TcpListener::bind("[::1]:0").expect("IPv6 loopback");
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("::1", port)).is_ok() {
            return port;
        }
    }
}

#[test]
fn calls_over_ipv6_get_ipv6_media() {
    let port6 = free_port_v6();
    let udp = format!("udp:[::1]:{port6}");
    let tcp = format!("tcp:[::1]:{port6}");
    let rg = Roomgate::start(&["--sip-listen", &udp, "--sip-listen", &tcp]);
    let scen = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sipp/basic_call.xml");
    for transport in ["u1", "t1"] {
        let dir = rg.dir.join(format!("v6-{transport}"));
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("sipp")
            .arg("-sf")
            .arg(&scen)
            .arg(format!("[::1]:{port6}"))
            .args(["-i", "::1", "-p", &free_port_v6().to_string()])
            .args(["-t", transport, "-s", "1000", "-m", "1", "-d", "300"])
            .args([
                "-timeout",
                "30s",
                "-timeout_error",
                "-nostdin",
                "-trace_msg",
            ])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .expect("sipp runs");
        assert!(
            out.status.success(),
            "{transport}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            rg.log_text()
        );
        let log = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with("_messages.log"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .expect("sipp message trace");
        let answer = log
            .split("SIP/2.0 200 OK")
            .nth(1)
            .expect("a 200 OK was received");
        assert!(
            answer.contains("c=IN IP6 ::1"),
            "{transport}: answer not on IPv6:\n{answer}"
        );
        // Its ACK and BYE must go to an address it can reach: ours on IPv6 (§12.1.1).
        let contact = answer
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("contact:"))
            .expect("Contact in the 200");
        assert!(
            contact.contains(&format!("[::1]:{port6}")),
            "{transport}: Contact not on IPv6: {contact}"
        );
    }
}
