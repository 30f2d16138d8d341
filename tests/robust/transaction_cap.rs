//! `sip.max_out_of_dialog_transactions` from the config file caps the server transactions
//! outside a dialog: past it a new request gets 503 with Retry-After, while the established
//! call (whose INVITE transaction counts) is still served in its dialog.

use crate::support;

use std::net::UdpSocket;
use std::time::Duration;

use support::ua::{header, status, Call};
use support::Roomgate;

fn options(socket: &UdpSocket, to: std::net::SocketAddr, n: u32) -> String {
    let port = socket.local_addr().unwrap().port();
    let req = format!(
        "OPTIONS sip:1000@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-cap-{n};rport\r\n\
         From: <sip:monitor@127.0.0.1>;tag=cap{n}\r\nTo: <sip:1000@127.0.0.1>\r\n\
         Call-ID: cap-{n}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    );
    socket.send_to(req.as_bytes(), to).expect("send OPTIONS");
    let mut buf = vec![0u8; 65_536];
    loop {
        let (len, _) = socket.recv_from(&mut buf).expect("an answer to OPTIONS");
        let m = String::from_utf8_lossy(&buf[..len]).into_owned();
        // Skip anything that is not the final answer to this request.
        if status(&m).is_some_and(|s| s >= 200) && m.contains(&format!("cap-{n}@")) {
            return m;
        }
    }
}

#[test]
fn past_the_cap_new_requests_get_503_and_the_call_goes_on() {
    // The call's INVITE transaction is the first of two; one OPTIONS ping fills the cap.
    let mut rg = Roomgate::start_with_config("[sip]\nmax_out_of_dialog_transactions = 2\n", &[]);
    let mut call = Call::establish(rg.sip_udp(), "1000").expect("call established");

    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let first = options(&socket, rg.sip_udp(), 1);
    assert_eq!(status(&first), Some(200), "{first}");

    let refused = options(&socket, rg.sip_udp(), 2);
    assert_eq!(status(&refused), Some(503), "{refused}");
    assert!(
        header(&refused, "Retry-After", "").is_some(),
        "503 without Retry-After: {refused}"
    );

    // In the dialog nothing is refused.
    assert_eq!(call.options().expect("in-dialog OPTIONS answered"), 200);
    assert_eq!(call.bye().expect("BYE answered"), 200);
    assert!(rg.alive(), "roomgate died:\n{}", rg.log_text());
}
