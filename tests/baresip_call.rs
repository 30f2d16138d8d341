//! A real softphone: baresip (Debian) dials sip:1000@127.0.0.1:<port> over UDP with a config
//! directory this test writes (loopback only: bound to 127.0.0.1 so its SDP never names another interface; a sine tone as its microphone, a file as its
//! speaker: no audio device), stays a few seconds and hangs up. Checks that baresip saw the
//! call established and closed, and that the API showed a participant join meeting 1000 and
//! leave it again.
mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::{free_port, participants, scratch_dir, wait_until, Roomgate};

fn config_dir(sip_port: u16) -> std::path::PathBuf {
    let dir = scratch_dir("baresip");
    let out = dir.join("speaker.wav");
    std::fs::write(
        dir.join("config"),
        format!(
            "poll_method\t\tepoll\n\
             sip_listen\t\t127.0.0.1:{sip_port}\n\
             sip_transports\t\tudp\n\
             net_interface\t\t127.0.0.1\n\
             audio_source\t\tausine,440\n\
             ausrc_srate\t\t48000\n\
             ausrc_channels\t\t2\n\
             audio_player\t\taufile,{out}\n\
             audio_alert\t\taufile,{out}\n\
             rtp_ports\t\t{}-{}\n\
             module_path\t\t/usr/lib/baresip/modules\n\
             module\t\t\tg711.so\n\
             module\t\t\tausine.so\n\
             module\t\t\taufile.so\n\
             module_app\t\taccount.so\n\
             module_app\t\tmenu.so\n",
            sip_port as u32 + 1000,
            sip_port as u32 + 1099,
            out = out.display(),
        ),
    )
    .expect("baresip config");
    std::fs::write(
        dir.join("accounts"),
        "<sip:boardroom@127.0.0.1>;regint=0;audio_codecs=PCMU,PCMA\n",
    )
    .expect("baresip accounts");
    dir
}

#[test]
fn baresip_calls_and_hangs_up() {
    let rg = Roomgate::start(&[]);
    let local = free_port();
    let dir = config_dir(local);
    let target = format!("sip:1000@127.0.0.1:{}", rg.sip_port);
    // -t: quit after 8 s, which hangs the call up with BYE (bounded either way).
    let child = Command::new("baresip")
        .arg("-f")
        .arg(&dir)
        .args(["-4", "-v", "-t", "8", "-e", &format!("/dial {target}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baresip runs (apt-get install baresip)");

    let joined = wait_until(Duration::from_secs(8), || {
        participants(&rg, "1000").len() == 1
    });
    let out = child.wait_with_output().expect("baresip exits");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let left = wait_until(Duration::from_secs(10), || {
        participants(&rg, "1000").is_empty()
    });
    assert!(
        joined,
        "no participant joined meeting 1000\n--- baresip\n{text}\n--- roomgate\n{}",
        rg.log_text()
    );
    assert!(
        text.contains("Call established"),
        "baresip did not establish the call:\n{text}"
    );
    assert!(
        left,
        "the participant never left after baresip hung up\n--- baresip\n{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
