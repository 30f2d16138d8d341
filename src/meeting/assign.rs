//! Assignment rules: the pre-assignment patterns and the automatic even split.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::{MeetingError, ParticipantId, PreAssignment};

/// Checks a pre-assignment pattern: non-empty and not absurdly long.
pub(crate) fn validate_pattern(p: &PreAssignment, max_len: usize) -> Result<(), MeetingError> {
    let reason = if p.identity.is_empty() {
        Some("empty")
    } else if p.identity.len() > 512 {
        Some("longer than 512 bytes")
    } else if p.identity.chars().all(|c| c == '*') {
        // A lone `*` would catch everybody, hosts included; say what you mean instead.
        Some("matches everybody")
    } else {
        None
    };
    if let Some(reason) = reason {
        return Err(MeetingError::InvalidPattern {
            pattern: p.identity.clone(),
            reason,
        });
    }
    if p.room.is_empty() || p.room.len() > max_len {
        return Err(MeetingError::InvalidText {
            field: "room",
            reason: "empty or too long",
        });
    }
    Ok(())
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?'])
}

/// ASCII-case-insensitive glob match: `*` is any run (also empty), `?` exactly one character.
/// Iterative with one backtrack point, so it is linear-ish and never recurses.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi].eq_ignore_ascii_case(&t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The room named by the first matching pre-assignment: exact entries (against identity, then
/// name) beat patterns; among patterns, list order wins.
pub(crate) fn preassigned_room<'a>(
    list: &'a [PreAssignment],
    identity: &str,
    name: &str,
) -> Option<&'a str> {
    let exact = |s: &str| {
        list.iter()
            .find(|p| !is_glob(&p.identity) && p.identity.eq_ignore_ascii_case(s))
    };
    if let Some(p) = exact(identity).or_else(|| exact(name)) {
        return Some(&p.room);
    }
    list.iter()
        .find(|p| {
            is_glob(&p.identity)
                && (glob_match(&p.identity, identity) || glob_match(&p.identity, name))
        })
        .map(|p| p.room.as_str())
}

/// Spreads `people` over rooms whose current sizes are `sizes` (people assigned otherwise):
/// shuffled by `seed`, then each to the emptiest room (lowest index on a tie). When `sizes`
/// starts even, the result differs by at most one between rooms.
///
/// Deterministic: `people` is sorted first, so the result depends on the set of people and
/// the seed only, never on join order or hash order.
pub(crate) fn even_split(
    mut people: Vec<ParticipantId>,
    sizes: &mut [usize],
    seed: u64,
) -> Vec<(ParticipantId, usize)> {
    if sizes.is_empty() {
        return Vec::new();
    }
    people.sort_unstable();
    people.shuffle(&mut StdRng::seed_from_u64(seed));
    let mut out = Vec::with_capacity(people.len());
    for p in people {
        let (i, _) = sizes
            .iter()
            .enumerate()
            .min_by_key(|&(i, &n)| (n, i))
            .expect("sizes is not empty");
        sizes[i] += 1;
        out.push((p, i));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pa(identity: &str, room: &str) -> PreAssignment {
        PreAssignment {
            identity: identity.into(),
            room: room.into(),
        }
    }

    #[test]
    fn glob() {
        assert!(glob_match("sip:*@sales.example", "sip:alice@sales.example"));
        assert!(glob_match("sip:*@sales.example", "SIP:Bob@Sales.Example"));
        assert!(!glob_match("sip:*@sales.example", "sip:alice@corp.example"));
        assert!(glob_match("room-??", "room-12"));
        assert!(!glob_match("room-??", "room-123"));
        assert!(glob_match("*board*", "The boardroom"));
        assert!(glob_match("a*b*c", "aXXbYYbc"));
        assert!(!glob_match("a*b*c", "aXXbYYb"));
        assert!(glob_match("abc", "abc"));
        assert!(glob_match("abc*", "abc"));
    }

    #[test]
    fn exact_beats_pattern_and_first_pattern_wins() {
        let list = vec![
            pa("sip:*@corp.example", "Room 1"),
            pa("sip:boardroom@corp.example", "Room 2"),
            pa("sip:*@*.example", "Room 3"),
            pa("Lobby Screen", "Room 4"),
        ];
        assert_eq!(
            preassigned_room(&list, "sip:boardroom@corp.example", "x"),
            Some("Room 2")
        );
        assert_eq!(
            preassigned_room(&list, "sip:alice@corp.example", "x"),
            Some("Room 1")
        );
        assert_eq!(
            preassigned_room(&list, "sip:bob@sales.example", "x"),
            Some("Room 3")
        );
        assert_eq!(
            preassigned_room(&list, "sip:1@10.0.0.1", "lobby screen"),
            Some("Room 4")
        );
        assert_eq!(preassigned_room(&list, "tel:+123", "y"), None);
    }

    #[test]
    fn even_split_is_even_and_deterministic() {
        let people: Vec<_> = (1..=23).map(ParticipantId).collect();
        let mut sizes = vec![0; 5];
        let a = even_split(people.clone(), &mut sizes, 7);
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        let mut rev = people.clone();
        rev.reverse();
        let b = even_split(rev, &mut [0; 5], 7);
        assert_eq!(a, b, "join order does not matter");
        let c = even_split(people, &mut [0; 5], 8);
        assert_ne!(a, c, "the seed does");
    }

    #[test]
    fn lone_star_is_refused() {
        assert!(validate_pattern(&pa("*", "Room 1"), 128).is_err());
        assert!(validate_pattern(&pa("", "Room 1"), 128).is_err());
        assert!(validate_pattern(&pa("sip:*@x", ""), 128).is_err());
        assert!(validate_pattern(&pa("sip:*@x", "Room 1"), 128).is_ok());
    }
}
