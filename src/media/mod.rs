//! The media plane: every call leg's RTP and RTCP, who hears and sees whom, and what each leg
//! is sent.
//!
//! Sans-IO like the rest of the core. The engine owns one [`MediaPlane`] per media shard and
//! drives it with:
//!
//! - [`MediaPlane::handle_command`] — typed commands from the meeting core ([`MediaCommand`]):
//!   add/remove a leg with its negotiated parameters, attach it to a room, move it, exchange
//!   two legs atomically, mute, play a prompt, send a digit, request a keyframe;
//! - [`MediaPlane::handle_rtp`] / [`MediaPlane::handle_rtcp`] — datagrams received on a leg;
//! - [`MediaPlane::handle_tick`] — the one shared 20 ms mixer tick for all rooms, and RTCP
//!   report times; call it when the deadline from `poll_output` passes.
//!
//! After each input, drain [`MediaPlane::poll_output`] until it returns
//! [`MediaOutput::Timeout`]: [`MediaOutput::Transmit`] datagrams to send on a leg, and
//! [`MediaOutput::Event`]s for the signalling side (DTMF digits, talking, active speaker,
//! keyframe needed, stats snapshots).
//!
//! Rooms are opaque [`RoomKey`]s: the media plane does not know meetings or breakout rooms,
//! only subscriptions (who hears whom), the way rtpengine models it. A room exists while a leg
//! is attached to it; an empty room costs nothing. A move is a re-subscription that takes
//! effect at the next tick, so the moved leg's next packet carries the new room's mix, with its
//! sequence numbers and timestamps continuing as if nothing happened.
//!
//! ## Choices worth knowing
//!
//! - **One tick, one packet.** Every leg attached to a room is sent exactly one 20 ms packet per
//!   tick (silence included), whatever packet time the peer uses towards us; a leg in no room
//!   is sent only prompts. RTCP reports go out on the first tick at or after their RFC 3550
//!   §6.2 time, so the tick is the only deadline [`MediaPlane::poll_output`] ever reports.
//! - **Mixing.** The room mixes at 8 kHz while all its legs are narrowband and at 16 kHz once
//!   a G.722 leg is in it. Frames below −60 dBov (after a 200 ms hangover) stay out of the mix,
//!   so every leg not talking hears the same full mix and shares one encode per codec. A G.722
//!   listener moving between its own N−1 encode and the shared one hears a few milliseconds of
//!   ADPCM re-adaptation.
//! - **DTMF.** Audio whose timestamps fall inside an RFC 4733 event (plus 40 ms) never reaches
//!   the mix, so phones that send the tone in band as well do not beep into the room.
//! - **Video.** Forwarded only between legs whose H.264 is Constrained-Baseline-compatible with
//!   packetization-mode=1; others are audio-only with the reason in their [`LegStats`]. A
//!   receiver switches to a new source on that source's next keyframe (requested with PLI and
//!   FIR and a [`MediaEvent::KeyframeNeeded`]), so it never decodes a broken picture.
//! - **Whose packets.** A leg's ports take datagrams only from its peer's source, learned per
//!   [`source`] (a learning window after each offer/answer, a peer re-learned when its NAT
//!   binding changes, never with `media.strict_source`): the shell asks
//!   [`source::LegSources`] before handing a datagram in, counts the others into the leg's
//!   [`LegStats`] ([`MediaPlane::count_foreign`]) and sends each leg's media where it says.
//! - **Codecs.** PCMU, PCMA, G.722 (our own) and Opus (the pure-Rust opus-rs crate; RTP clock
//!   48000, decoded and encoded at 16 kHz mono so a room with an Opus leg mixes at 16 kHz like
//!   one with a G.722 leg; Opus's own concealment and in-band FEC on loss; see [`codec::opus`]).

pub mod codec;
pub mod dtmf;
pub mod jitter;
mod leg;
pub mod mixer;
mod plane;
pub mod prompt;
pub mod resample;
pub mod rtcp;
pub mod rtp;
pub mod source;
pub mod stats;
pub mod video;
pub mod voice;

pub use codec::AudioCodec;
pub use plane::MediaPlane;
pub use prompt::Prompt;
pub use stats::{LegStats, PeerReportRaw, PeerSenderInfo, PeerView};

use std::time::{Duration, Instant};
use thiserror::Error;

/// The mixer tick and the packetisation time of every packet we send.
pub const TICK: Duration = Duration::from_millis(20);

/// A call leg, as the engine names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

/// A room (main session or breakout room), opaque to the media plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomKey(pub u64);

/// The negotiated audio stream of a leg (from the SDP answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioParams {
    /// The codec agreed; the stream's RTP clock is the codec's ([`AudioCodec::clock_rate`]).
    /// Mixed mono whatever the channel count signalled (Opus is always declared with 2,
    /// RFC 7587 §7).
    pub codec: AudioCodec,
    /// Payload type used in both directions.
    pub payload_type: u8,
    /// telephone-event payload type (RFC 4733), if negotiated.
    pub telephone_event_pt: Option<u8>,
    /// Its clock rate when it differs from the codec's (a peer offering only
    /// telephone-event/8000 beside opus/48000); `None`: the codec's.
    pub telephone_event_clock: Option<u32>,
    /// The peer's `a=fmtp` parameters for the codec (its receive preferences, e.g. opus
    /// `useinbandfec=1;maxaveragebitrate=20000`, RFC 7587 §6.1), which shape what we send.
    pub fmtp: Option<String>,
    /// SSRC of our outgoing audio to this leg.
    pub local_ssrc: u32,
}

/// The negotiated H.264 video stream of a leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoParams {
    /// Payload type.
    pub payload_type: u8,
    /// The fmtp line (profile-level-id, packetization-mode, …).
    pub fmtp: String,
    /// SSRC of our outgoing video to this leg.
    pub local_ssrc: u32,
}

/// Everything the media plane needs to know about a new leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegParams {
    /// Audio (mandatory).
    pub audio: AudioParams,
    /// Video, if negotiated.
    pub video: Option<VideoParams>,
    /// RTCP CNAME (RFC 3550 §6.5.1) we use towards this leg.
    pub cname: String,
}

/// Who a prompt is played to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptTarget {
    /// One leg, over whatever it hears.
    Leg(LegId),
    /// Everybody in the room.
    Room(RoomKey),
}

/// Commands from the meeting core.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaCommand {
    /// A new leg with its negotiated media.
    AddLeg {
        /// The leg.
        leg: LegId,
        /// Its parameters.
        params: LegParams,
    },
    /// The leg is gone (call ended).
    RemoveLeg {
        /// The leg.
        leg: LegId,
    },
    /// Subscribe the leg to a room (it hears the others there and they hear it).
    Attach {
        /// The leg.
        leg: LegId,
        /// The room.
        room: RoomKey,
    },
    /// Unsubscribe the leg from its room (it hears only prompts played to it).
    Detach {
        /// The leg.
        leg: LegId,
    },
    /// Move a leg to another room (same as Attach for an attached leg; named for clarity).
    Move {
        /// The leg.
        leg: LegId,
        /// The destination room.
        room: RoomKey,
    },
    /// Swap the rooms of two legs atomically (no tick sees one moved and not the other).
    Exchange {
        /// One leg.
        a: LegId,
        /// The other leg.
        b: LegId,
    },
    /// Host-side mute: the leg is left out of every mix (it still hears the room).
    Mute {
        /// The leg.
        leg: LegId,
        /// Muted or not.
        muted: bool,
    },
    /// Play a prompt or tone over the room audio.
    PlayPrompt {
        /// To whom.
        target: PromptTarget,
        /// What.
        prompt: Prompt,
    },
    /// Send a DTMF digit to the leg as RFC 4733 telephone-events.
    SendDtmf {
        /// The leg.
        leg: LegId,
        /// 0–9, *, #, A–D.
        digit: char,
        /// How long.
        duration: Duration,
    },
    /// Ask the leg for a video keyframe (RTCP PLI + FIR, and a KeyframeNeeded event).
    RequestKeyframe {
        /// The leg.
        leg: LegId,
    },
}

/// What a datagram is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    /// Audio RTP.
    AudioRtp,
    /// Audio RTCP.
    AudioRtcp,
    /// Video RTP.
    VideoRtp,
    /// Video RTCP.
    VideoRtcp,
}

impl PacketKind {
    /// True for RTCP.
    pub fn is_rtcp(self) -> bool {
        matches!(self, PacketKind::AudioRtcp | PacketKind::VideoRtcp)
    }
}

/// A datagram to send to a leg's peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The leg.
    pub leg: LegId,
    /// Which of its streams.
    pub kind: PacketKind,
    /// The datagram.
    pub bytes: Vec<u8>,
}

/// Things the signalling side and the operators want to know.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaEvent {
    /// A DTMF digit received as RFC 4733 events, reported once when it ended.
    Dtmf {
        /// The leg.
        leg: LegId,
        /// The keypad character.
        digit: char,
        /// How long it was held.
        duration: Duration,
    },
    /// The leg started or stopped talking. `level` is the RFC 6464 level (0 = loudest, 127 =
    /// silence, in −dBov) when the change was decided.
    Talking {
        /// The leg.
        leg: LegId,
        /// Talking now?
        talking: bool,
        /// Level in −dBov.
        level: u8,
    },
    /// The room's active speaker changed (the leg whose video the others now see).
    ActiveSpeaker {
        /// The room.
        room: RoomKey,
        /// The new speaker.
        leg: LegId,
    },
    /// A keyframe was requested from this leg; send SIP INFO picture_fast_update too, for room
    /// systems that ignore RTCP feedback.
    KeyframeNeeded {
        /// The leg.
        leg: LegId,
    },
    /// A prompt finished playing.
    PromptDone {
        /// Its target.
        target: PromptTarget,
    },
    /// A leg's statistics, emitted with each of its RTCP reports (every ~5 s).
    Stats(Box<stats::LegStats>),
}

/// One item drained from [`MediaPlane::poll_output`].
#[derive(Debug, Clone, PartialEq)]
pub enum MediaOutput {
    /// Send this.
    Transmit(Transmit),
    /// Tell the signalling side.
    Event(MediaEvent),
    /// Nothing more now; call [`MediaPlane::handle_tick`] at this instant (`None`: no legs,
    /// nothing scheduled).
    Timeout(Option<Instant>),
}

/// Errors of the media plane's command interface (the meeting core's mistakes, never the
/// network's: malformed packets are dropped and counted).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MediaError {
    /// No such leg.
    #[error("unknown leg {0:?}")]
    UnknownLeg(LegId),
    /// AddLeg for a leg that exists.
    #[error("leg {0:?} already exists")]
    LegExists(LegId),
    /// A command the leg's negotiated media cannot carry out (a digit without telephone-event).
    #[error("invalid audio parameters: {0}")]
    InvalidParams(&'static str),
    /// Exchange of a leg that is not in a room.
    #[error("leg {0:?} is not in a room")]
    NotInRoom(LegId),
    /// Digit outside 0–9 * # A–D.
    #[error("not a DTMF digit: {0:?}")]
    BadDigit(char),
}
