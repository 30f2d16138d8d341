//! baresip (Debian) as a real room system: its own config directory (loopback only, so its SDP
//! never names another interface), a sine tone as its microphone and no audio device; its
//! `sndfile` module writes what it decodes to a WAV file, so a test can check by frequency what
//! it heard.
#![allow(dead_code)]

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::{free_port, scratch_dir};

/// The decoded audio's format with G.711: 8 kHz mono, 16-bit.
const PLAY_RATE: usize = 8000;

pub struct Baresip {
    pub name: String,
    /// The SIP address it listens on (`sip:user@127.0.0.1:port`).
    pub uri: String,
    pub dir: PathBuf,
    child: Option<Child>,
}

impl Baresip {
    /// Starts baresip with one account `user` shown as `name`, sending a `tone_hz` sine, with
    /// G.711 only. `auto_answer` answers incoming calls at once (for dial-out); `dial` places a
    /// call. `quit_after_s` bounds its life whatever happens.
    pub fn start(
        user: &str,
        name: &str,
        tone_hz: u32,
        auto_answer: bool,
        dial: Option<&str>,
        quit_after_s: u32,
    ) -> Baresip {
        let codec = ("g711.so", "PCMU,PCMA");
        Self::launch(user, name, tone_hz, codec, auto_answer, dial, quit_after_s)
    }

    /// Like [`Baresip::start`], offering only Opus (its opus module is libopus), dialing
    /// `target`.
    pub fn start_opus(
        user: &str,
        name: &str,
        tone_hz: u32,
        target: &str,
        quit_after_s: u32,
    ) -> Baresip {
        let codec = ("opus.so", "opus");
        Self::launch(
            user,
            name,
            tone_hz,
            codec,
            false,
            Some(target),
            quit_after_s,
        )
    }

    fn launch(
        user: &str,
        name: &str,
        tone_hz: u32,
        (codec_module, codecs): (&str, &str),
        auto_answer: bool,
        dial: Option<&str>,
        quit_after_s: u32,
    ) -> Baresip {
        let port = free_port();
        let dir = scratch_dir("baresip");
        std::fs::write(
            dir.join("config"),
            format!(
                "poll_method\t\tepoll\n\
                 sip_listen\t\t127.0.0.1:{port}\n\
                 sip_transports\t\tudp\n\
                 net_interface\t\t127.0.0.1\n\
                 audio_source\t\tausine,{tone_hz}\n\
                 ausrc_srate\t\t48000\n\
                 ausrc_channels\t\t2\n\
                 snd_path\t\t{dir}\n\
                 rtp_ports\t\t{}-{}\n\
                 module_path\t\t/usr/lib/baresip/modules\n\
                 module\t\t\t{codec_module}\n\
                 module\t\t\tausine.so\n\
                 module\t\t\tsndfile.so\n\
                 module_app\t\taccount.so\n\
                 module_app\t\tmenu.so\n",
                u32::from(port) + 1000,
                u32::from(port) + 1099,
                dir = dir.display(),
            ),
        )
        .expect("baresip config");
        let answer = if auto_answer { ";answermode=auto" } else { "" };
        std::fs::write(
            dir.join("accounts"),
            format!("\"{name}\" <sip:{user}@127.0.0.1>;regint=0;audio_codecs={codecs}{answer}\n"),
        )
        .expect("baresip accounts");
        let mut cmd = Command::new("baresip");
        cmd.arg("-f")
            .arg(&dir)
            .args(["-4", "-v", "-t", &quit_after_s.to_string()]);
        if let Some(target) = dial {
            cmd.args(["-e", &format!("/dial {target}")]);
        }
        // To a file, not a pipe: -v is chatty and a full pipe would stall it.
        let log = std::fs::File::create(dir.join("baresip.log")).expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup"))
            .stderr(log)
            .spawn()
            .expect("baresip runs (apt-get install baresip)");
        Baresip {
            name: name.into(),
            uri: format!("sip:{user}@127.0.0.1:{port}"),
            dir,
            child: Some(child),
        }
    }

    /// `sndfile`'s dump of what it decoded (`dump-<time>-dec.wav`), once it exists.
    fn dump(&self) -> Option<PathBuf> {
        std::fs::read_dir(&self.dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
    }

    /// All it decoded, first channel, and the sample rate, read from the finished WAV dump
    /// (after [`Baresip::wait`]: the header is complete only once baresip has exited).
    pub fn decoded(&self) -> Option<(Vec<i16>, f64)> {
        let b = std::fs::read(self.dump()?).ok()?;
        if b.get(..4) != Some(b"RIFF") {
            return None;
        }
        let (mut pos, mut rate, mut channels) = (12, 0u32, 1usize);
        while pos + 8 <= b.len() {
            let id = &b[pos..pos + 4];
            let len = u32::from_le_bytes([b[pos + 4], b[pos + 5], b[pos + 6], b[pos + 7]]) as usize;
            let body = &b[pos + 8..(pos + 8 + len).min(b.len())];
            if id == b"fmt " && body.len() >= 16 {
                channels = usize::from(u16::from_le_bytes([body[2], body[3]])).max(1);
                rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
                assert_eq!(u16::from_le_bytes([body[14], body[15]]), 16, "16-bit WAV");
            } else if id == b"data" {
                let pcm = body
                    .chunks_exact(2 * channels)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect();
                return Some((pcm, f64::from(rate)));
            }
            pos += 8 + len + (len & 1);
        }
        None
    }

    /// The last `ms` of what it decoded (`sndfile`'s `dump-<time>-dec.wav`, 8 kHz mono).
    pub fn recent(&self, ms: usize) -> Vec<i16> {
        let Some(Ok(mut f)) = self.dump().map(std::fs::File::open) else {
            return Vec::new();
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let want = (ms * PLAY_RATE / 1000 * 2) as u64;
        // Skip the 44-byte WAV header; keep sample alignment.
        let start = len.saturating_sub(want).max(44) & !1;
        let mut buf = Vec::new();
        if f.seek(SeekFrom::Start(start)).is_err() || f.read_to_end(&mut buf).is_err() {
            return Vec::new();
        }
        buf.chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    }

    /// Which of `freqs` are clearly present in the last second it heard.
    pub fn tones_heard(&self, freqs: &[f64]) -> Vec<f64> {
        let x = self.recent(1000);
        if x.len() < PLAY_RATE / 2 {
            // Too little to tell a tone from noise.
            return Vec::new();
        }
        super::tour::tones_in(&x, freqs)
    }

    /// What it printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("baresip.log")).unwrap_or_default()
    }

    /// Waits for it to exit (its `quit_after_s` bounds this) and returns what it printed;
    /// its files stay until it is dropped.
    pub fn wait(&mut self) -> String {
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
        self.log()
    }

    /// [`Baresip::wait`], then cleans up.
    pub fn finish(mut self) -> String {
        self.wait()
    }
}

impl super::tour::Listener for Baresip {
    fn name(&self) -> &str {
        &self.name
    }
    fn recent(&self, ms: usize) -> Vec<i16> {
        Baresip::recent(self, ms)
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
