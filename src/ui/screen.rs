//! The screen: where each pane goes at this terminal size, and what each is given from
//! [`App`]. Panes are widgets over the data they draw (and, for the list, layers and hex panes,
//! a state of their own that [`App`] keeps between draws); this module is the one place that
//! knows both the layout and the [`App`] the data comes from.
use super::app::Mode;
use super::app::{App, Pane, SideView};
use super::arp::ArpPanel;
use super::help::Help;
use super::hexview::{self, HexView};
use super::layers::{self, Layers};
use super::list::{ListRow, PacketList};
use super::ringpanel::RingPanel;
use super::status::{self, Prompt, StatusBar, TitleBar, ViewState};
use super::structview::StructPanel;
use super::{fragments, text};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Smallest screen the full layout is drawn in.
const MIN_W: u16 = 40;
const MIN_H: u16 = 10;

/// Draw the whole screen from `app` (the panes' states record where things are, for the mouse).
pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    // A pane not drawn this time cannot be clicked.
    app.panes.forget_areas();
    if area.width < MIN_W || area.height < MIN_H {
        let msg = format!(
            "ringside: terminal {}x{} is too small (need {MIN_W}x{MIN_H}) · q quits",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    // Dissect a newly selected frame now, before any pane reads `app.field`: that matches the
    // field index to the new frame (same field if it has one, else its first). Otherwise the
    // first pane drawn after a move (the layers pane, narrow layout) highlights the previous
    // frame's index in the new frame: the wrong field, for one draw.
    app.selection();
    let caption_h = u16::from(app.caption.is_some());
    // The counters line, then the key hints (wrapped: every key a lesson uses is listed at every
    // size), or the filter prompt with its verdict under it.
    let hint_rows = status::hint_lines(&app.mode, area.width as usize)
        .len()
        .clamp(1, 2) as u16;
    let below = if app.input.is_some() {
        2
    } else {
        hint_rows + u16::from(app.message.is_some())
    };
    let [title, caption, body, status_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(caption_h),
        Constraint::Min(1),
        Constraint::Length(1 + below),
    ])
    .areas(area);
    f.render_widget(title_bar(app), title);
    if let Some(c) = &app.caption {
        f.render_widget(
            Paragraph::new(text::fit(
                &format!(" {}", text::clean(c)),
                caption.width as usize,
            ))
            .style(Style::default().fg(Color::Black).bg(Color::Cyan)),
            caption,
        );
    }
    let pps = app.pps_series(status::PPS_SHOWN);
    f.render_widget(
        StatusBar {
            mode: &app.mode,
            status: &app.status,
            pps: &pps,
            prompt: app.input.as_deref().map(|text| Prompt {
                text,
                goto: app.goto,
            }),
            message: app.message.as_ref(),
        },
        status_area,
    );

    // Wide screens: the packet list across the whole width (the Info column takes what is
    // spare), the layers pane as tall as the selected frame's headers need, and beside it the
    // hex view over one more panel (`v`: ARP caches or C struct). Small screens: the list over
    // the layers (field per line) and one right-hand panel (`v`: hex, ARP, C struct).
    let wide = area.width >= 120 && body.height >= 30;
    app.wide = wide;
    let layers_w = if wide || body.width >= 67 + 70 {
        67
    } else {
        body.width / 2
    };
    let list_h = if wide {
        // Measured once per (frame, width): building a diagram is most of a draw's work.
        // Focused, the pane's foot also says what the selected field means.
        let meaning = if app.focus == Pane::Layers {
            layers::MEANING_LINES
        } else {
            0
        };
        let key = (app.selected, layers_w, meaning);
        let need = match app.need_cache {
            Some((k, n)) if k == key => n,
            _ => {
                let context = app.selected.map_or(0, |no| {
                    let frags = fragments::cached(&app.history, no);
                    layers::context_height(app.links.get(no).as_ref(), frags.as_ref(), layers_w)
                });
                let n = app
                    .selection_with_frame()
                    .map_or(0, |(fr, d)| layers::height_needed(d, fr.data, layers_w))
                    + context
                    + meaning;
                app.need_cache = Some((key, n));
                n
            }
        };
        // Grow to the tallest frame selected so far at this width, never shrink: the list
        // must not jump under the mouse as the selection moves between short and long frames.
        let need = match app.layers_need {
            (w, n) if w == layers_w => need.max(n),
            _ => need,
        };
        app.layers_need = (layers_w, need);
        body.height
            .saturating_sub(need)
            .clamp(8, body.height * 3 / 5)
    } else {
        (body.height * 9 / 20).max(5)
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Length(list_h), Constraint::Min(0)]).areas(body);
    draw_list(f, top, app);
    let [lay, side] =
        Layout::horizontal([Constraint::Length(layers_w), Constraint::Min(0)]).areas(bottom);
    draw_layers(f, lay, app);
    if wide {
        let hex_rows = app.selection_with_frame().map_or(4, |(fr, _)| {
            fr.data
                .len()
                .div_ceil(hexview::bytes_per_row(side.width.saturating_sub(2)))
        }) as u16;
        let hex_h = (hex_rows + 2).min(side.height / 2).max(3);
        let [h, s] = Layout::vertical([Constraint::Length(hex_h), Constraint::Min(0)]).areas(side);
        draw_hex(f, h, app);
        match app.lower_panel() {
            SideView::Arp => draw_arp(f, s, app),
            SideView::Ring => draw_ring(f, s, app),
            _ => draw_struct(f, s, app),
        }
    } else {
        match app.side {
            SideView::Hex => draw_hex(f, side, app),
            SideView::Struct => draw_struct(f, side, app),
            SideView::Arp => draw_arp(f, side, app),
            SideView::Ring => draw_ring(f, side, app),
        }
    }
    if app.show_help {
        f.render_widget(Help, area);
    }
}

fn title_bar(app: &App) -> TitleBar<'_> {
    let paused_new = app.frozen.map(|at| app.history.last_no().unwrap_or(0) - at);
    TitleBar {
        mode: &app.mode,
        status: &app.status,
        file: app.history.file(),
        view: ViewState {
            time_frozen: app.time_frozen(),
            paused_new,
            follow: app.follow,
            position: app.selected_pos(),
            total: app.history.span().1,
            speed: app.speed(),
        },
    }
}

/// The packet list: scrolled to the selection first, so only the rows on screen are fetched
/// (and dissected, once: [`App::row`] caches them).
fn draw_list(f: &mut Frame, area: Rect, app: &mut App) {
    let total = app.view_len();
    let selected = app.selected_pos();
    let height = PacketList::rows_height(area);
    let mut rows = Vec::new();
    if height > 0 && total > 0 {
        let top = app.panes.list.scroll_into_view(selected, total, height);
        rows = list_rows(app, top..(top + height).min(total));
    }
    let (first, count) = app.history.span();
    let evicted = match app.history.file() {
        Some(_) => 0,
        None => app.history.evicted(),
    };
    let list = PacketList {
        total,
        filter: app.filter.as_ref().map(|fl| fl.text.as_str()),
        checked: app.filter_checked(),
        evicted,
        last_no: (first + count).saturating_sub(1),
        rows,
        selected,
        focused: app.focus == Pane::List,
    };
    f.render_stateful_widget(list, area, &mut app.panes.list);
}

/// The list's rows `view` (indexes into the filtered view).
fn list_rows(app: &mut App, view: std::ops::Range<usize>) -> Vec<ListRow> {
    let t0 = app.history.t0();
    // With a file behind the history, rows not held are read from it, in one go.
    let nos: Vec<u64> = view.clone().filter_map(|i| app.view_no(i)).collect();
    app.prefetch(&nos);
    let mut rows = Vec::with_capacity(nos.len());
    for i in view {
        let Some(no) = app.view_no(i) else { break };
        let Some(row) = app.row(no) else { break };
        let Some(fr) = app.frame(no) else { break };
        let entry = *fr.entry;
        rows.push(ListRow {
            no,
            entry,
            summary: row.summary,
            // Earlier than the first frame (merged captures, a clock step): negative, as
            // Wireshark.
            time: entry.ts.as_secs_f64() - t0.as_secs_f64(),
            source: (app.sources > 1).then(|| app.source_name(entry.source)),
            link: app.links.get(no).map(|l| l.describe()),
        });
    }
    rows
}

fn draw_layers(f: &mut Frame, area: Rect, app: &mut App) {
    let focused = app.focus == Pane::Layers;
    let field = app.field;
    let follow_field = !app.scroll_pinned;
    let no = app.selected;
    let link = no.and_then(|no| app.links.get(no));
    let fragments = no.and_then(|no| fragments::cached(&app.history, no));
    // A pane with no room inside draws only its border, and selects nothing.
    let inner = Block::bordered().inner(area);
    let visible = inner.width > 0 && inner.height > 0;
    let (selection, panes) = if visible {
        app.selection_and_panes()
    } else {
        (None, &mut app.panes)
    };
    let layers = Layers {
        frame: selection.map(|(fr, d)| (fr.data, d)),
        field,
        follow_field,
        link,
        fragments,
        focused,
    };
    f.render_stateful_widget(layers, area, &mut panes.layers);
}

fn draw_hex(f: &mut Frame, area: Rect, app: &mut App) {
    let focused = app.focus == Pane::Hex;
    let field = app.field;
    let follow_field = !app.scroll_pinned;
    let (selection, panes) = app.selection_and_panes();
    let hex = HexView {
        frame: selection.map(|(fr, d)| (fr.no, fr.data, d)),
        field,
        follow_field,
        focused,
    };
    f.render_stateful_widget(hex, area, &mut panes.hex);
}

fn draw_struct(f: &mut Frame, area: Rect, app: &mut App) {
    let field = app.field;
    let frame = app.selection_with_frame().map(|(fr, d)| (fr.data, d));
    f.render_widget(StructPanel { frame, field }, area);
}

fn draw_arp(f: &mut Frame, area: Rect, app: &App) {
    f.render_widget(
        ArpPanel {
            status: &app.status,
        },
        area,
    );
}

fn draw_ring(f: &mut Frame, area: Rect, app: &App) {
    f.render_widget(
        RingPanel {
            ring: app.status.ring.as_ref(),
            replay: matches!(app.mode, Mode::Replay { .. }),
            link_desc: &app.status.link_desc,
        },
        area,
    );
}
