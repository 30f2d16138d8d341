//! Handlers for meetings, participants, breakout rooms, broadcast and pre-assignments.
//!
//! Each handler parses and checks its input, then issues exactly one engine call, so a request
//! either happens whole or not at all (the core validates everything before it mutates).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::problem::{ApiJson, ApiPath, Problem};
use super::{ApiState, Control};
use crate::meeting::{
    Actor, AssignMode, BreakoutOptions, Command, JoinRequest, MeetingSpec, Outcome, ParticipantId,
    Place, PreAssignment, Role, RoomId,
};

type ApiResult<T> = Result<T, Problem>;

/// The API always acts as the host: a participant-level token never reaches a managing
/// handler (the auth layer answers 403 first).
const HOST: Actor = Actor::Host;

fn participant_id(s: &str) -> ApiResult<ParticipantId> {
    s.parse().map_err(|_| {
        Problem::not_found(
            "unknown-participant",
            "participant",
            format!("unknown participant {s:?}"),
        )
    })
}

fn room_id(s: &str) -> ApiResult<RoomId> {
    s.parse().map_err(|_| {
        Problem::not_found(
            "unknown-room",
            "room",
            format!("unknown breakout room {s:?}"),
        )
    })
}

/// `POST /meetings` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub passcode: Option<String>,
    #[serde(default)]
    pub options: Option<BreakoutOptions>,
    #[serde(default)]
    pub preassignments: Vec<PreAssignment>,
    /// Breakout rooms scheduled ahead, by name.
    #[serde(default)]
    pub rooms: Vec<String>,
}

pub async fn create<C: Control>(
    State(s): State<ApiState<C>>,
    ApiJson(b): ApiJson<NewMeeting>,
) -> ApiResult<Response> {
    let spec = MeetingSpec {
        name: b.name.unwrap_or_else(|| format!("Meeting {}", b.id)),
        id: b.id,
        passcode: b.passcode,
        options: b.options.unwrap_or_default(),
        preassignments: b.preassignments,
        rooms: b.rooms,
    };
    let view = s.control.create_meeting(spec).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

pub async fn list<C: Control>(State(s): State<ApiState<C>>) -> ApiResult<Response> {
    Ok(Json(s.control.list_meetings().await?).into_response())
}

pub async fn show<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    Ok(Json(s.control.meeting(id).await?).into_response())
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Ended {
    pub id: String,
    /// The participants that were attached; their calls are hung up.
    pub participants: Vec<ParticipantId>,
}

pub async fn end<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let participants = s.control.end_meeting(id.clone()).await?;
    Ok(Json(Ended { id, participants }).into_response())
}

pub async fn participants<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    Ok(Json(s.control.participants(id).await?).into_response())
}

/// `POST /meetings/{id}/participants` body: attach a participant that is not a call (a browser
/// or another client of the API).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    pub name: String,
    pub identity: String,
    #[serde(default)]
    pub role: Role,
    /// Required when the meeting has a passcode.
    #[serde(default)]
    pub passcode: Option<String>,
}

pub async fn add_participant<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<NewParticipant>,
) -> ApiResult<Response> {
    let pid = s
        .control
        .join(
            id.clone(),
            HOST,
            JoinRequest {
                name: b.name,
                identity: b.identity,
                role: b.role,
                passcode: b.passcode,
            },
        )
        .await?;
    let view = s.control.participant(id, pid).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

pub async fn participant<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath((id, pid)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let pid = participant_id(&pid)?;
    Ok(Json(s.control.participant(id, pid).await?).into_response())
}

pub async fn remove_participant<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath((id, pid)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let participant = participant_id(&pid)?;
    s.control
        .command(id, HOST, Command::Leave { participant })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// `"main"` or a room id.
    pub room: Place,
}

pub async fn move_participant<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath((id, pid)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<MoveBody>,
) -> ApiResult<Response> {
    let participant = participant_id(&pid)?;
    s.control
        .command(
            id.clone(),
            HOST,
            Command::Move {
                participant,
                to: b.room,
            },
        )
        .await?;
    Ok(Json(s.control.participant(id, participant).await?).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// A room id, or `null` to clear the assignment.
    pub room: Option<RoomId>,
}

pub async fn assign<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath((id, pid)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<AssignBody>,
) -> ApiResult<Response> {
    let participant = participant_id(&pid)?;
    s.control
        .command(
            id.clone(),
            HOST,
            Command::Assign {
                participant,
                room: b.room,
            },
        )
        .await?;
    Ok(Json(s.control.participant(id, participant).await?).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeBody {
    pub a: ParticipantId,
    pub b: ParticipantId,
}

pub async fn exchange<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<ExchangeBody>,
) -> ApiResult<Response> {
    s.control
        .command(id.clone(), HOST, Command::Exchange { a: b.a, b: b.b })
        .await?;
    let a = s.control.participant(id.clone(), b.a).await?;
    let bv = s.control.participant(id, b.b).await?;
    Ok(Json([a, bv]).into_response())
}

pub async fn breakouts<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    Ok(Json(s.control.breakouts(id).await?).into_response())
}

/// `PUT /meetings/{id}/breakouts` body: create (or recreate) the rooms.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakoutsBody {
    pub count: u32,
    #[serde(default)]
    pub assign: AssignMode,
    /// Seed of the automatic split; the same seed and participants give the same split.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Replaces the meeting's options when given (missing keys take their defaults).
    #[serde(default)]
    pub options: Option<BreakoutOptions>,
}

pub async fn create_breakouts<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<BreakoutsBody>,
) -> ApiResult<Response> {
    s.control
        .command(
            id.clone(),
            HOST,
            Command::CreateBreakouts {
                count: b.count,
                assign: b.assign,
                seed: b.seed,
                options: b.options,
            },
        )
        .await?;
    Ok(Json(s.control.breakouts(id).await?).into_response())
}

async fn simple<C: Control>(s: &ApiState<C>, id: String, cmd: Command) -> ApiResult<Response> {
    s.control.command(id.clone(), HOST, cmd).await?;
    Ok(Json(s.control.breakouts(id).await?).into_response())
}

pub async fn remove_breakouts<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    s.control
        .command(id, HOST, Command::RemoveBreakouts)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn set_options<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(options): ApiJson<BreakoutOptions>,
) -> ApiResult<Response> {
    simple(&s, id, Command::SetOptions { options }).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomBody {
    #[serde(default)]
    pub name: Option<String>,
}

pub async fn add_room<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<RoomBody>,
) -> ApiResult<Response> {
    let out = s
        .control
        .command(id.clone(), HOST, Command::AddRoom { name: b.name })
        .await?;
    let Outcome::Room(room) = out else {
        unreachable!("the core answers add_room with Room, not {out:?}")
    };
    let view = s.control.breakouts(id).await?;
    let room = view
        .rooms
        .into_iter()
        .find(|r| r.id == room)
        .expect("a room just added is in the view of the same engine");
    Ok((StatusCode::CREATED, Json(room)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    pub name: String,
}

pub async fn rename_room<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath((id, room)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<RenameBody>,
) -> ApiResult<Response> {
    let room = room_id(&room)?;
    simple(&s, id, Command::RenameRoom { room, name: b.name }).await
}

pub async fn delete_room<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath((id, room)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let room = room_id(&room)?;
    simple(&s, id, Command::DeleteRoom { room }).await
}

pub async fn open<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    simple(&s, id, Command::Open).await
}

pub async fn close<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    simple(&s, id, Command::Close).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoAssignBody {
    #[serde(default)]
    pub seed: Option<u64>,
}

pub async fn auto_assign<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    // The body is optional: none (or empty) draws a seed.
    let seed = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<AutoAssignBody>(&body)
            .map_err(|e| {
                let p = Problem::new(StatusCode::BAD_REQUEST, "malformed-json", e.to_string());
                if e.is_data() {
                    p.with_field("seed")
                } else {
                    p.with_field("body")
                }
            })?
            .seed
    };
    simple(&s, id, Command::AutoAssign { seed }).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastBody {
    pub message: String,
}

pub async fn broadcast<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<BroadcastBody>,
) -> ApiResult<Response> {
    s.control
        .command(id, HOST, Command::Broadcast { message: b.message })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Calls a room system into the meeting: 202 with the call leg's id; follow it on the leg.
pub async fn dial_out<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<crate::api::DialOutRequest>,
) -> ApiResult<Response> {
    let leg = s.control.dial_out(id, b).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "leg": leg })),
    )
        .into_response())
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreassignmentsBody {
    pub preassignments: Vec<PreAssignment>,
}

pub async fn preassignments<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let view = s.control.meeting(id).await?;
    Ok(Json(PreassignmentsBody {
        preassignments: view.preassignments,
    })
    .into_response())
}

pub async fn set_preassignments<C: Control>(
    State(s): State<ApiState<C>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<PreassignmentsBody>,
) -> ApiResult<Response> {
    s.control
        .command(
            id.clone(),
            HOST,
            Command::SetPreassignments {
                preassignments: b.preassignments,
            },
        )
        .await?;
    let view = s.control.meeting(id).await?;
    Ok(Json(PreassignmentsBody {
        preassignments: view.preassignments,
    })
    .into_response())
}
