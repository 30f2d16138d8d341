//! SDP offers and answers from the peer (RFC 4566, RFC 3264).

use roomgate::sdp::{
    accept_answer, answer, offer, LocalMedia, OfferAnswerState, SessionDescription,
};

/// Parse → print → reparse agree, and neither answering an arbitrary offer nor reading an
/// arbitrary answer to our offer ever panics; an answer we make always parses back.
pub fn sdp(data: &[u8]) {
    let Ok(sd) = SessionDescription::parse(data) else {
        return;
    };
    let printed = sd.to_string();
    let again = SessionDescription::parse(printed.as_bytes()).expect("printed SDP parses");
    assert_eq!(again, sd, "reparse differs");
    assert_eq!(again.to_string(), printed, "reprint differs");

    let local = LocalMedia::new("127.0.0.1".parse().unwrap(), 20000, Some(20002));
    let mut state = OfferAnswerState::new(1);
    if let Ok((ans, _)) = answer(&sd, &local, &mut state) {
        // RFC 3264 §6: one m= line in the answer per m= line of the offer.
        assert_eq!(ans.media.len(), sd.media.len());
        let reparsed =
            SessionDescription::parse(ans.to_string().as_bytes()).expect("answer parses");
        assert_eq!(reparsed, ans);
        let re = offer(&local, &mut state);
        let _ = accept_answer(&re, &sd, &mut state);
        // The input as if it were our offer and our answer its answer.
        let _ = accept_answer(&sd, &ans, &mut state);
    }
    let mut fresh = OfferAnswerState::new(2);
    let ours = offer(&local, &mut fresh);
    let _ = accept_answer(&ours, &sd, &mut fresh);
}
