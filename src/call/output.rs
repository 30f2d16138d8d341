//! What the core asks of the shell. One queue, in order: a leg's ports are opened before the
//! signalling message that names them goes out.

use std::net::{IpAddr, SocketAddr};

use super::view::{LegEnd, LegView};
use crate::media::{self, LegId};
use crate::meeting;
use crate::sip::transaction::Transmit;

/// What the gateway asks of the shell.
#[derive(Debug)]
pub enum Output {
    /// SIP bytes to send.
    Sip(Transmit),
    /// Bind the leg's RTP ports (RTCP on port + 1) on `ip` before sending the next signalling
    /// message.
    MediaOpen {
        leg: LegId,
        ip: IpAddr,
        audio_port: u16,
        video_port: Option<u16>,
    },
    /// Where to send the leg's media (`None`: send nothing, e.g. the peer is on hold).
    MediaPeer {
        leg: LegId,
        audio_rtp: Option<SocketAddr>,
        audio_rtcp: Option<SocketAddr>,
        video_rtp: Option<SocketAddr>,
        video_rtcp: Option<SocketAddr>,
        /// RTCP multiplexed on the RTP port (RFC 5761), for audio and for video.
        rtcp_mux: [bool; 2],
    },
    /// A command for the media plane.
    Media(media::MediaCommand),
    /// Release the leg's sockets (after `Media(RemoveLeg)`).
    MediaClose { leg: LegId },
    /// A meeting event, for the store and the event streams.
    Meeting(meeting::Event),
    /// A leg appeared or changed (state, room, codec, mute, a move): exactly once per input
    /// that changed it, with its state after that input.
    LegUpdated(Box<LegView>),
    /// A leg ended; its final view and why.
    LegEnded(Box<LegView>, LegEnd),
}
