//! A minimal SIP user agent over UDP for robustness tests: places one call to roomgate, keeps
//! it up, and probes it with in-dialog requests (OPTIONS, re-INVITE) the way a room system
//! would, retransmitting on RFC 3261 §17.1.2.2 Timer E so a lossy moment is not a failure.
#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

pub struct Call {
    sock: UdpSocket,
    _media: UdpSocket,
    to_gw: SocketAddr,
    local: SocketAddr,
    call_id: String,
    from_tag: String,
    /// The To header of the 200, with roomgate's tag.
    to: String,
    /// Where in-dialog requests go (roomgate's Contact).
    target: String,
    cseq: u32,
    branch: u32,
    media_port: u16,
}

fn sdp(media_port: u16, version: u32, dir: &str) -> String {
    format!(
        "v=0\r\no=robust 1 {version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {media_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na={dir}\r\n"
    )
}

/// A header's value from a message's head, by full or compact name (textual).
pub fn header(msg: &str, full: &str, compact: &str) -> Option<String> {
    let head = msg.split("\r\n\r\n").next()?;
    head.split("\r\n").skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        let n = n.trim();
        (n.eq_ignore_ascii_case(full) || n.eq_ignore_ascii_case(compact))
            .then(|| v.trim().to_string())
    })
}

pub fn status(msg: &str) -> Option<u16> {
    msg.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
}

impl Call {
    /// Dials `meeting` on roomgate's UDP address and completes the INVITE/200/ACK handshake.
    pub fn establish(gw: SocketAddr, meeting: &str) -> Result<Call, String> {
        let sock = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let media = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let local = sock.local_addr().map_err(|e| e.to_string())?;
        let media_port = media.local_addr().map_err(|e| e.to_string())?.port();
        let mut call = Call {
            sock,
            _media: media,
            to_gw: gw,
            local,
            call_id: format!("robust-{}-{}@127.0.0.1", std::process::id(), local.port()),
            from_tag: format!("rt{}", local.port()),
            to: format!("<sip:{meeting}@{gw}>"),
            target: format!("sip:{meeting}@{gw}"),
            cseq: 0,
            branch: 0,
            media_port,
        };
        let body = sdp(media_port, 1, "sendrecv");
        let resp = call.transaction("INVITE", &body)?;
        if status(&resp) != Some(200) {
            return Err(format!("INVITE answered {resp}"));
        }
        call.to = header(&resp, "To", "t").ok_or("200 without To")?;
        if let Some(c) = header(&resp, "Contact", "m") {
            let uri = c.trim_start_matches(|ch| ch != '<').trim_start_matches('<');
            call.target = uri.split('>').next().unwrap_or(uri).to_string();
        }
        call.ack()?;
        Ok(call)
    }

    fn request(&mut self, method: &str, cseq: u32, body: &str) -> String {
        self.branch += 1;
        let ctype = if body.is_empty() {
            String::new()
        } else {
            "Content-Type: application/sdp\r\n".into()
        };
        format!(
            "{method} {target} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch=z9hG4bK-rt-{cid_port}-{b};rport\r\n\
             From: <sip:robust@{local}>;tag={tag}\r\n\
             To: {to}\r\n\
             Call-ID: {cid}\r\n\
             CSeq: {cseq} {method}\r\n\
             Contact: <sip:robust@{local}>\r\n\
             Max-Forwards: 70\r\n\
             {ctype}Content-Length: {len}\r\n\r\n{body}",
            target = self.target,
            local = self.local,
            cid_port = self.local.port(),
            b = self.branch,
            tag = self.from_tag,
            to = self.to,
            cid = self.call_id,
            len = body.len(),
        )
    }

    fn ack(&mut self) -> Result<(), String> {
        let ack = self.request("ACK", 1, "");
        self.sock
            .send_to(ack.as_bytes(), self.to_gw)
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Sends a request and waits for its final response, retransmitting like a UAC over UDP
    /// (Timer E/A doubling from 500 ms, capped at 4 s; gives up after 32 s, Timer F/B).
    /// Retransmitted 2xx to our INVITE are ACKed again; requests from roomgate are answered.
    pub fn transaction(&mut self, method: &str, body: &str) -> Result<String, String> {
        self.cseq += 1;
        let cseq = self.cseq;
        let req = self.request(method, cseq, body);
        let want = format!("{cseq} {method}");
        let start = Instant::now();
        let mut interval = Duration::from_millis(500);
        let mut buf = vec![0u8; 65_536];
        while start.elapsed() < Duration::from_secs(32) {
            self.sock
                .send_to(req.as_bytes(), self.to_gw)
                .map_err(|e| e.to_string())?;
            let until = Instant::now() + interval;
            while Instant::now() < until {
                let left = until.saturating_duration_since(Instant::now());
                self.sock
                    .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                    .map_err(|e| e.to_string())?;
                let Ok((n, _)) = self.sock.recv_from(&mut buf) else {
                    continue;
                };
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                if header(&msg, "Call-ID", "i").as_deref() != Some(&self.call_id) {
                    continue;
                }
                if status(&msg).is_none() {
                    self.answer_request(&msg);
                    continue;
                }
                let cs = header(&msg, "CSeq", "").unwrap_or_default();
                if cs.split_whitespace().collect::<Vec<_>>().join(" ") != want {
                    if cs.ends_with("INVITE") && status(&msg) == Some(200) {
                        let _ = self.ack(); // a retransmitted 2xx: ACK it again
                    }
                    continue;
                }
                match status(&msg) {
                    Some(s) if s >= 200 => return Ok(msg),
                    _ => interval = Duration::from_secs(4), // provisional: wait longer
                }
            }
            interval = (interval * 2).min(Duration::from_secs(4));
        }
        Err(format!("no final response to {method} within 32 s"))
    }

    /// 200 to whatever roomgate asks inside the dialog (a session refresh, a BYE).
    fn answer_request(&self, req: &str) {
        let mut resp = String::from("SIP/2.0 200 OK\r\n");
        for l in req
            .split("\r\n\r\n")
            .next()
            .unwrap_or("")
            .split("\r\n")
            .skip(1)
        {
            let n = l
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if ["via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"].contains(&n.as_str()) {
                resp.push_str(l);
                resp.push_str("\r\n");
            }
        }
        resp.push_str("Content-Length: 0\r\n\r\n");
        let _ = self.sock.send_to(resp.as_bytes(), self.to_gw);
    }

    /// An in-dialog OPTIONS; the status of its final response.
    pub fn options(&mut self) -> Result<u16, String> {
        let r = self.transaction("OPTIONS", "")?;
        status(&r).ok_or_else(|| "unparseable response".into())
    }

    /// A re-INVITE (same media, new SDP version), ACKed; the status of its final response.
    pub fn reinvite(&mut self) -> Result<u16, String> {
        let body = sdp(self.media_port, 2 + self.cseq, "sendrecv");
        let r = self.transaction("INVITE", &body)?;
        let s = status(&r).ok_or("unparseable response")?;
        if s == 200 {
            let cseq = self.cseq;
            let ack = self.request("ACK", cseq, "");
            self.sock
                .send_to(ack.as_bytes(), self.to_gw)
                .map_err(|e| e.to_string())?;
        }
        Ok(s)
    }

    /// Hangs up; the status of the BYE's final response.
    pub fn bye(mut self) -> Result<u16, String> {
        let r = self.transaction("BYE", "")?;
        status(&r).ok_or_else(|| "unparseable response".into())
    }
}
