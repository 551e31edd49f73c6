//! The keys that drive the source rather than the view: the responders (`a`, `i`), simulated
//! time in the demo (`space` freezes it, `.` steps one event, `+`/`-` change its speed), the
//! live view's pause (`space`), saving the history (`w`) and a replay's verdicts (`J`). Each
//! becomes a [`Control`] for the capture thread, or a request the run loop carries out.
use super::app::{Action, App, Mode};
use crate::capture::Control;
use crate::link::LinkControl;

/// The simulated speeds `+` and `-` step through (x wall time), within
/// [`crate::link::sim::SPEED_RANGE`]: 0.01x lets a class watch one frame every few seconds.
pub const SPEEDS: [f64; 13] = [
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
];

/// `2`, `0.5`, `1.5`: a speed factor without trailing zeros.
pub fn fmt_speed(s: f64) -> String {
    let t = format!("{s:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Carry out one of this module's actions (the normal mode hands them over); false for any
/// other action.
pub fn key(app: &mut App, a: Action) -> bool {
    match a {
        Action::TogglePause if app.speed().is_some() => freeze_time(app),
        Action::TogglePause => pause_view(app),
        Action::Step => step(app),
        Action::ToggleArp | Action::ToggleIcmp if matches!(app.mode, Mode::Replay { .. }) => {
            // The file is judged as it is read: switching later would change nothing.
            app.say(
                "replay: verdicts are fixed as the file is read; start it with --no-arp / --no-icmp",
                true,
            );
        }
        Action::ToggleArp => {
            let on = !app.status.arp_responder;
            app.send(Control::ArpResponder(on));
            app.status.arp_responder = on;
            app.say(
                if on {
                    "ARP responder on: ringside answers \"who has\" again"
                } else {
                    "ARP responder off: watch the peer's entry for ringside expire"
                },
                false,
            );
        }
        Action::ToggleIcmp => {
            let on = !app.status.icmp_responder;
            app.send(Control::IcmpResponder(on));
            app.status.icmp_responder = on;
            app.say(
                if on {
                    "ICMP responder on"
                } else {
                    "ICMP responder off: echo requests go unanswered"
                },
                false,
            );
        }
        Action::Faster | Action::Slower => speed(app, a == Action::Faster),
        Action::WritePcap => app.write_requested = true,
        Action::Rejudge => rejudge(app),
        _ => return false,
    }
    true
}

/// The demo's `space`: stop simulated time itself, not just the view.
fn freeze_time(app: &mut App) {
    let frozen = !app.time_frozen();
    app.set_time_frozen(frozen);
    app.say(
        if frozen {
            "time frozen (timers, pings, ARP countdown): . one event, space runs"
        } else {
            "time runs again"
        },
        false,
    );
}

/// Live and replay `space`: the list stops at the newest frame (capture goes on); again, it
/// follows the newest frame.
fn pause_view(app: &mut App) {
    if app.frozen.is_some() {
        app.frozen = None;
        app.follow = true;
        let n = app.view_len();
        if n > 0 {
            app.select_pos(n - 1);
        }
    } else {
        app.frozen = Some(app.history.last_no().unwrap_or(0));
        app.follow = false;
    }
}

/// `.`: one event of simulated time (the next frame or timer), then frozen.
fn step(app: &mut App) {
    if app.speed().is_none() {
        app.say(
            "`.` steps simulated time (demo and lessons); a real wire cannot be stepped",
            true,
        );
        return;
    }
    if !app.time_frozen() {
        app.set_time_frozen(true);
    }
    app.send(Control::Link(LinkControl::Step));
    app.say(
        "one event: the next frame or timer · . again · space runs",
        false,
    );
}

/// `+` / `-`: the next speed in [`SPEEDS`] up or down (the demo only).
fn speed(app: &mut App, faster: bool) {
    let Some(s) = app.speed() else {
        app.say("speed applies to the simulated LAN (ringside demo)", true);
        return;
    };
    let ns = if faster {
        SPEEDS.iter().copied().find(|&x| x > s * 1.001)
    } else {
        SPEEDS.iter().rev().copied().find(|&x| x < s * 0.999)
    }
    .unwrap_or(s);
    app.send(Control::Link(LinkControl::Speed(ns)));
    if let Some(p) = app.status.peer.as_mut() {
        p.speed = ns;
    }
    app.say(format!("simulated time at {}x", fmt_speed(ns)), false);
}

/// `J` in a replay: read the file again, with the recorded verdicts or judging every frame.
fn rejudge(app: &mut App) {
    match app.mode {
        Mode::Replay { .. } if app.status.notes_seen > 0 || !app.status.recorded_verdicts => {
            app.rejudge_requested = true
        }
        Mode::Replay { .. } => app.say(
            "this capture has no recorded verdicts: they are judged with the current settings already",
            true,
        ),
        _ => app.say(
            "J applies to a replay: recorded verdicts or judged again",
            true,
        ),
    }
}
