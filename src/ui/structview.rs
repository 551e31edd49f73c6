//! The "packed vs padded" panel: the selected frame's headers as one C struct, with each member's
//! offset under natural alignment and packed, and the padding holes a compiler would insert drawn
//! where they fall.
use super::app::App;
use super::packing::{common_prefix, CType, Layout};
use super::text::{fit, layer_color, pad};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Said under the panel: what every multi-byte member needs before use on a little-endian CPU.
pub const BYTE_ORDER_NOTE: &str = "multi-byte members are big-endian on the wire: ntohs()/ntohl()";

/// The declaration of one member, e.g. `uint8_t  eth_dst[6];`, or for fields narrower than a
/// byte, one plain integer with its parts listed high bits first:
/// `uint8_t  ipv4_version_ihl; /* version:4 | ihl:4 */`; a multi-byte one says to convert it
/// from big-endian first: `uint16_t ipv4_flags_frag_offset; /* flags:3 | frag_offset:13, ntohs() */`. Not C bit-fields: GCC and Clang on
/// little-endian CPUs fill those from the low bit, so `version:4, ihl:4` would read the wrong
/// nibbles (see [`super::packing`]).
pub fn declaration(ty: &CType, name: &str) -> String {
    let t = ty.type_name();
    match ty {
        CType::Uint(_) => format!("{t:<9}{name};"),
        CType::Bytes(n) => format!("{t:<9}{name}[{n}];"),
        CType::Flexible(_) => format!("{t:<9}{name}[];"),
        CType::Subfields(bits, parts) => {
            let names: Vec<&str> = parts
                .iter()
                .map(|(n, _, _)| n.as_str())
                .filter(|n| !n.is_empty())
                .collect();
            let p = common_prefix(&names);
            let list: Vec<String> = parts
                .iter()
                .map(|(n, bits, _)| {
                    if n.is_empty() {
                        format!("unused:{bits}")
                    } else {
                        format!("{}:{bits}", &n[p..])
                    }
                })
                .collect();
            let order = match bits {
                8 => "",
                16 => ", ntohs()",
                32 => ", ntohl()",
                _ => ", be64toh()",
            };
            format!("{t:<9}{name}; /* {}{order} */", list.join(" | "))
        }
    }
}

/// The panel's lines, and the line of the member holding the selected field.
pub fn lines(
    l: &Layout,
    selected_field: Option<usize>,
    width: usize,
) -> (Vec<Line<'static>>, Option<usize>) {
    let mut out = Vec::new();
    let holes: usize = l.padding();
    let mut summary = format!(
        "natural {} B (align {}) · packed {} B · {} B of padding",
        l.natural_size, l.align, l.packed_size, holes
    );
    if summary.chars().count() > width {
        // Small screens: the same three numbers, shorter words.
        summary = format!(
            "natural {} B · packed {} B · {} B pad",
            l.natural_size, l.packed_size, holes
        );
    }
    out.push(Line::styled(
        fit(&summary, width),
        Style::default().add_modifier(Modifier::BOLD),
    ));
    // Offsets in two 8-column columns when there is room, 6 otherwise.
    let col = if width >= 60 { 8 } else { 6 };
    let decl_w = width.saturating_sub(2 + 2 * col).max(12);
    let (nat, pak) = if col == 8 {
        ("natural", "packed")
    } else {
        ("nat.", "pack.")
    };
    out.push(Line::styled(
        fit(
            &format!(
                "{}{nat:>col$}{pak:>col$}",
                pad("struct frame {", decl_w + 2)
            ),
            width,
        ),
        Style::default().fg(Color::Gray),
    ));
    let sel_member = selected_field.and_then(|f| l.member_of_field(f));
    let mut sel_line = None;
    let hole_style = Style::default().fg(Color::Black).bg(Color::LightRed);
    for (i, m) in l.members.iter().enumerate() {
        for h in l.holes.iter().filter(|h| h.before == i) {
            out.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(
                    pad(&format!("/* {} bytes of padding */", h.at.len()), decl_w),
                    hole_style,
                ),
                Span::styled(
                    format!("{:>col$}", format!("{}–{}", h.at.start, h.at.end - 1)),
                    hole_style,
                ),
            ]));
        }
        let decl = declaration(&m.ty, &m.name);
        let mut st = Style::default().fg(layer_color(m.layer));
        if sel_member == Some(i) {
            st = Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD);
            sel_line = Some(out.len());
        }
        // A declaration too long for the column keeps its comment on a line of its own, so
        // small screens still show what the sub-fields are.
        let (decl, comment) = match decl.split_once(" /* ") {
            Some((d, c)) if decl.chars().count() > decl_w => (d.to_string(), Some(c.to_string())),
            _ => (decl, None),
        };
        let mut text = format!(
            "  {}{:>col$}{:>col$}",
            pad(&decl, decl_w),
            m.natural,
            m.packed
        );
        if let CType::Flexible(n) = m.ty {
            text.push_str(&format!("  ({n} bytes follow)"));
        }
        out.push(Line::styled(fit(&text, width), st));
        if let Some(c) = comment {
            out.push(Line::styled(fit(&format!("      /* {c}"), width), st));
        }
    }
    for h in l.holes.iter().filter(|h| h.before == l.members.len()) {
        out.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(
                pad(
                    &format!("/* {} bytes of tail padding */", h.at.len()),
                    decl_w,
                ),
                hole_style,
            ),
            Span::styled(
                format!("{:>col$}", format!("{}–{}", h.at.start, h.at.end - 1)),
                hole_style,
            ),
        ]));
    }
    out.push(Line::raw(fit(
        &format!(
            "}};  sizeof: {} natural, {} with __attribute__((packed))",
            l.natural_size, l.packed_size
        ),
        width,
    )));
    (out, sel_line)
}

pub fn render(f: &mut Frame, area: Rect, app: &mut App) {
    let block = Block::bordered()
        .title(" Packed vs padded: these headers as a C struct ")
        .title_bottom(format!(" {BYTE_ORDER_NOTE} "))
        .border_style(super::pane_border(false));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let field = app.field;
    let Some((_, d)) = app.selection() else {
        return;
    };
    let layout = Layout::of(d);
    let (mut ls, sel_line) = lines(&layout, Some(field), inner.width as usize);
    // The size summary stays on top; the struct scrolls to keep the selected member in view.
    let summary = ls.remove(0);
    f.render_widget(Paragraph::new(summary), Rect { height: 1, ..inner });
    let body = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    let h = body.height as usize;
    let mut scroll = 0;
    if let Some(s) = sel_line.map(|s| s - 1) {
        if s + 2 > h {
            scroll = (s + 2).saturating_sub(h).min(ls.len().saturating_sub(h));
        }
    }
    f.render_widget(Paragraph::new(ls).scroll((scroll as u16, 0)), body);
}
