//! The build's timeline as an SVG picture (beyond Toaster): one lane per worker, a bar per
//! task from its start to its end, coloured by outcome, each bar a link to its task with
//! its name and times as a tooltip. Lanes are worked out from the times alone (a task
//! takes the first lane free when it starts), which is what BB_NUMBER_THREADS workers
//! give. No JavaScript is needed to read it; every text in it is escaped.

use std::fmt::Write as _;

use crate::html::esc;

/// One task's bar.
pub(crate) struct Bar {
    pub(crate) label: String,
    /// The task's id (its page is `url(task)`, see [`svg`]).
    pub(crate) task: i64,
    pub(crate) start: f64,
    pub(crate) end: f64,
    pub(crate) outcome: i64,
}

const WIDTH: f64 = 1000.0;

/// Consecutive sub-pixel bars of a lane drawn as one.
struct Block<'a> {
    x0: f64,
    x1: f64,
    outcome: i64,
    count: usize,
    /// The first task's label and link (a block of one is drawn as that task).
    label: &'a str,
    task: i64,
}

impl Block<'_> {
    fn write(&self, s: &mut String, lane: usize, url: &dyn Fn(i64) -> String) {
        let y = TOP + lane as f64 * LANE + 1.0;
        let w = (self.x1 - self.x0).max(1.0);
        let title = if self.count == 1 {
            esc(self.label)
        } else {
            format!("{} short tasks from {}", self.count, esc(self.label))
        };
        let _ = write!(
            s,
            "<a href=\"{}\"><rect class=\"task-bar outcome-{}\" data-tasks=\"{}\" x=\"{:.2}\" y=\"{y:.1}\" width=\"{w:.2}\" height=\"{:.1}\" fill=\"{}\"><title>{title}</title></rect></a>",
            esc(&url(self.task)),
            self.outcome,
            self.count,
            self.x0,
            LANE - 2.0,
            colour(self.outcome)
        );
    }
}
const LEFT: f64 = 60.0;
const LANE: f64 = 14.0;
const TOP: f64 = 24.0;

/// The colour of a task outcome.
fn colour(outcome: i64) -> &'static str {
    match outcome {
        0 => "#4cae4c",
        4 => "#d43f3a",
        2 | 3 => "#46b8da",
        1 => "#999999",
        5 => "#cccccc",
        _ => "#eea236",
    }
}

/// A tick interval giving about eight ticks over `span` seconds.
fn tick(span: f64) -> f64 {
    let raw = (span / 8.0).max(0.001);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&t| t >= raw)
        .unwrap_or(10.0 * p)
}

/// Lane of each bar (bars sorted by start), and the number of lanes.
fn lanes(bars: &[Bar]) -> (Vec<usize>, usize) {
    let mut ends: Vec<f64> = Vec::new();
    let mut out = Vec::with_capacity(bars.len());
    for b in bars {
        match ends.iter().position(|&e| e <= b.start + 1e-6) {
            Some(i) => {
                ends[i] = b.end;
                out.push(i);
            }
            None => {
                ends.push(b.end);
                out.push(ends.len() - 1);
            }
        }
    }
    let n = ends.len();
    (out, n)
}

/// The SVG of `bars` (any order); `None` when no task has times.
pub(crate) fn svg(mut bars: Vec<Bar>, id: &str, url: &dyn Fn(i64) -> String) -> Option<String> {
    bars.retain(|b| b.start.is_finite() && b.end.is_finite() && b.end >= b.start);
    if bars.is_empty() {
        return None;
    }
    bars.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.end.total_cmp(&b.end)));
    let t0 = bars.iter().map(|b| b.start).fold(f64::INFINITY, f64::min);
    let t1 = bars.iter().map(|b| b.end).fold(f64::NEG_INFINITY, f64::max);
    let span = (t1 - t0).max(0.001);
    let scale = WIDTH / span;
    let (lane_of, n) = lanes(&bars);
    let height = TOP + n as f64 * LANE + 8.0;
    let mut s = String::with_capacity(bars.len() * 160 + 1024);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{}\" class=\"build-timeline\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\" role=\"img\" aria-label=\"Timeline: {} tasks on {n} workers over {span:.1} s\" data-lanes=\"{n}\" data-bars=\"{}\">",
        esc(id),
        LEFT + WIDTH + 10.0,
        LEFT + WIDTH + 10.0,
        bars.len(),
        bars.len()
    );
    let step = tick(span);
    let mut t = 0.0;
    while t <= span + 1e-9 {
        let x = LEFT + t * scale;
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{height}\" stroke=\"#eee\"/><text x=\"{x:.1}\" y=\"14\" font-size=\"10\" text-anchor=\"middle\" fill=\"#666\">{}s</text>",
            TOP - 4.0,
            trim(t)
        );
        t += step;
    }
    for i in 0..n {
        let y = TOP + i as f64 * LANE;
        let _ = write!(
            s,
            "<text x=\"4\" y=\"{:.1}\" font-size=\"10\" fill=\"#666\">worker {}</text>",
            y + LANE - 4.0,
            i + 1
        );
    }
    // Bars narrower than half a pixel cannot be pointed at: consecutive ones of a lane
    // with one outcome are drawn as one block (a long build has thousands of them).
    let mut pending: Vec<Option<Block>> = (0..n).map(|_| None).collect();
    for (b, lane) in bars.iter().zip(lane_of) {
        let x = LEFT + (b.start - t0) * scale;
        let w = (b.end - b.start) * scale;
        if w < 0.5 {
            let slot = &mut pending[lane];
            match slot {
                Some(p) if p.outcome == b.outcome && x <= p.x1 + 0.5 => {
                    p.x1 = p.x1.max(x + w);
                    p.count += 1;
                }
                _ => {
                    if let Some(p) = slot.take() {
                        p.write(&mut s, lane, url);
                    }
                    *slot = Some(Block {
                        x0: x,
                        x1: x + w,
                        outcome: b.outcome,
                        count: 1,
                        label: &b.label,
                        task: b.task,
                    });
                }
            }
            continue;
        }
        let y = TOP + lane as f64 * LANE;
        let _ = write!(
            s,
            "<a href=\"{}\"><rect class=\"task-bar outcome-{}\" x=\"{x:.2}\" y=\"{:.1}\" width=\"{w:.2}\" height=\"{:.1}\" fill=\"{}\"><title>{} ({:.2} s, from {:.2} s)</title></rect></a>",
            esc(&url(b.task)),
            b.outcome,
            y + 1.0,
            LANE - 2.0,
            colour(b.outcome),
            esc(&b.label),
            b.end - b.start,
            b.start - t0
        );
    }
    for (lane, p) in pending.into_iter().enumerate() {
        if let Some(p) = p {
            p.write(&mut s, lane, url);
        }
    }
    s.push_str("</svg>");
    let mut legend = String::from("<p class=\"legend\">");
    for (o, name) in [
        (0, "Succeeded"),
        (4, "Failed"),
        (2, "Cached / prebuilt"),
        (1, "Covered"),
        (5, "Empty"),
        (-1, "Not available"),
    ] {
        let _ = write!(
            legend,
            "<span><svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" fill=\"{}\"/></svg> {name}</span>",
            colour(o)
        );
    }
    legend.push_str("</p>");
    Some(format!("{s}{legend}"))
}

fn trim(t: f64) -> String {
    let s = format!("{t:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(start: f64, end: f64) -> Bar {
        Bar {
            label: "<script>r</script>:do_x".into(),
            task: 7,
            start,
            end,
            outcome: 0,
        }
    }

    #[test]
    fn overlapping_tasks_take_separate_lanes() {
        let (l, n) = lanes(&[bar(0.0, 2.0), bar(1.0, 3.0), bar(2.0, 4.0)]);
        assert_eq!((l, n), (vec![0, 1, 0], 2));
    }

    #[test]
    fn short_tasks_of_a_lane_are_drawn_as_one_block() {
        let mut bars: Vec<Bar> = (0..100)
            .map(|i| bar(f64::from(i) * 0.001, f64::from(i) * 0.001 + 0.0009))
            .collect();
        bars.push(bar(0.0, 100.0));
        let s = svg(bars, "t", &|t| format!("/t?a={t}&b=2")).unwrap_or_default();
        assert!(s.contains("data-tasks=\"100\""), "{s}");
        assert_eq!(s.matches("<rect class=\"task-bar").count(), 2);
    }

    #[test]
    fn text_is_escaped() {
        let s = svg(vec![bar(0.0, 1.0)], "t", &|t| format!("/t?a={t}&b=2")).unwrap_or_default();
        assert!(s.contains("&lt;script&gt;") && !s.contains("<script>"));
        assert!(s.contains("/t?a=7&amp;b=2"));
        assert!(svg(vec![], "t", &|t| t.to_string()).is_none());
    }
}
