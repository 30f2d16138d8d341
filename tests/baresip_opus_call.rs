//! A real Opus softphone: baresip (Debian, its opus module is libopus) dials meeting 1000
//! offering only opus (stereo), with a 440 Hz sine as its microphone and its sndfile filter
//! dumping what it decodes to a WAV file (no audio device); a
//! G.711 room system in the same meeting sends 1000 Hz. The room system must hear baresip's
//! 440 Hz (libopus → our decoder → mix → G.711) and baresip's decoder must have produced the
//! room system's 1000 Hz (G.711 → mix → our encoder → libopus). Loopback only.
mod support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::room::RoomSystem;
use support::{free_port, participants, scratch_dir, wait_until, Roomgate};

const BARESIP_TONE: f64 = 440.0;
const ROOM_TONE: f64 = 1000.0;

fn config_dir(sip_port: u16) -> std::path::PathBuf {
    let dir = scratch_dir("baresip-opus");
    std::fs::write(
        dir.join("config"),
        format!(
            "poll_method\t\tepoll\n\
             sip_listen\t\t127.0.0.1:{sip_port}\n\
             sip_transports\t\tudp\n\
             net_interface\t\t127.0.0.1\n\
             audio_source\t\tausine,{BARESIP_TONE}\n\
             ausrc_srate\t\t48000\n\
             ausrc_channels\t\t2\n\
             rtp_ports\t\t{}-{}\n\
             module_path\t\t/usr/lib/baresip/modules\n\
             module\t\t\topus.so\n\
             module\t\t\tsndfile.so\n\
             snd_path\t\t{dir}\n\
             module\t\t\tausine.so\n\
             module\t\t\taufile.so\n\
             module_app\t\taccount.so\n\
             module_app\t\tmenu.so\n",
            sip_port as u32 + 1000,
            sip_port as u32 + 1099,
            dir = dir.display(),
        ),
    )
    .expect("baresip config");
    std::fs::write(
        dir.join("accounts"),
        "<sip:opusroom@127.0.0.1>;regint=0;audio_codecs=opus\n",
    )
    .expect("baresip accounts");
    dir
}

/// 16-bit PCM samples (first channel) and the rate of a WAV file.
fn read_wav(path: &std::path::Path) -> (Vec<i16>, f64) {
    let b = std::fs::read(path).expect("baresip's decode dump");
    assert_eq!(&b[..4], b"RIFF", "a WAV file");
    let (mut pos, mut rate, mut channels) = (12, 0u32, 1usize);
    while pos + 8 <= b.len() {
        let id = &b[pos..pos + 4];
        let len = u32::from_le_bytes([b[pos + 4], b[pos + 5], b[pos + 6], b[pos + 7]]) as usize;
        let body = &b[pos + 8..(pos + 8 + len).min(b.len())];
        if id == b"fmt " {
            channels = u16::from_le_bytes([body[2], body[3]]) as usize;
            rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
            assert_eq!(u16::from_le_bytes([body[14], body[15]]), 16, "16-bit WAV");
        } else if id == b"data" {
            let pcm = body
                .chunks_exact(2 * channels)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            return (pcm, rate as f64);
        }
        pos += 8 + len + (len & 1);
    }
    panic!("no data chunk in {}", path.display());
}

fn goertzel(x: &[i16], freq: f64, rate: f64) -> f64 {
    let c = 2.0 * (2.0 * std::f64::consts::PI * freq / rate).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s = v as f64 + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    2.0 * (s1 * s1 + s2 * s2 - c * s1 * s2).max(0.0).sqrt() / x.len().max(1) as f64
}

#[test]
fn baresip_opus_and_a_g711_room_system_hear_each_other() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let phone = RoomSystem::call(gw, "1000", "Phone", ROOM_TONE);
    let local = free_port();
    let dir = config_dir(local);
    let target = format!("sip:1000@127.0.0.1:{}", rg.sip_port);
    // -t: quit after 9 s, which hangs the call up with BYE (bounded either way).
    let child = Command::new("baresip")
        .arg("-f")
        .arg(&dir)
        .args(["-4", "-v", "-t", "9", "-e", &format!("/dial {target}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baresip runs (apt-get install baresip)");
    let joined = wait_until(Duration::from_secs(8), || {
        participants(&rg, "1000").len() == 2
    });
    // While baresip talks, what the room system hears.
    std::thread::sleep(Duration::from_secs(5));
    let heard = phone.tones_heard(&[BARESIP_TONE, ROOM_TONE]);
    let out = child.wait_with_output().expect("baresip exits");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(joined, "baresip never joined\n{text}\n{}", rg.log_text());
    assert!(
        text.to_ascii_lowercase().contains("opus"),
        "baresip did not use opus:\n{text}"
    );
    assert_eq!(
        heard,
        vec![BARESIP_TONE],
        "the G.711 room system hears baresip's Opus tone only\n{text}"
    );

    // baresip's sndfile filter dumps what its Opus decoder (libopus) produced.
    let speaker = std::fs::read_dir(&dir)
        .expect("scratch dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .unwrap_or_else(|| panic!("no decode dump from baresip's sndfile\n{text}"));
    let (pcm, rate) = read_wav(&speaker);
    assert!(
        pcm.len() as f64 > 3.0 * rate,
        "{} samples at {rate}",
        pcm.len()
    );
    // The last 2 s before the hang-up: the room system's tone, not baresip's own.
    let tail = &pcm[pcm.len() - 2 * rate as usize..];
    let room = goertzel(tail, ROOM_TONE, rate);
    let own = goertzel(tail, BARESIP_TONE, rate);
    assert!(
        room > 1000.0,
        "baresip heard {ROOM_TONE} Hz at {room:.0}\n{text}"
    );
    assert!(
        own < 0.1 * room,
        "baresip heard itself at {own:.0} (room {room:.0})"
    );
    eprintln!("baresip heard {ROOM_TONE} Hz at amplitude {room:.0}, its own tone at {own:.0}");
    phone.hangup();
    let _ = std::fs::remove_dir_all(dir);
}
