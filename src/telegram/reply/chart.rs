//! `/positions chart`: a PNG of cumulative realized PnL (equity) over time.
//!
//! Drawn with plotters' bitmap backend into an in-memory RGB buffer and encoded with `png`, on
//! the dark background of the PnL cards: a title, both axes with numbers (hours since the first
//! trade, SOL), a zero line, the curve and its last value, and the bot's name, in the bundled
//! DejaVu Sans font ([`super::pics`]). Labels drawn inside the image are in the user's language
//! for en/ru and in English for zh (no CJK glyphs in the font); the caption is always localized.
//! `f64` is used for drawing coordinates only; nothing here feeds a transaction.

use plotters::prelude::*;

use super::pics::{self, ACCENT, GREY_TEXT, LINE, PicError, WHITE_TEXT, style};
use crate::domain::lang::Lang;
use crate::domain::stats::RealizedTrade;
use crate::i18n::tr;

/// Chart width in pixels.
pub const WIDTH: u32 = 800;
/// Chart height in pixels.
pub const HEIGHT: u32 = 400;

const LAMPORTS_PER_SOL_F: f64 = 1_000_000_000.0;
const MS_PER_HOUR: f64 = 3_600_000.0;

/// Why no chart could be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// No realized trades: nothing to draw.
    #[error("no realized trades")]
    Empty,
    /// The drawing backend failed.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error(transparent)]
    Encode(#[from] png::EncodingError),
}

impl From<PicError> for ChartError {
    fn from(e: PicError) -> Self {
        match e {
            PicError::Encode(e) => Self::Encode(e),
            other => Self::Draw(other.to_string()),
        }
    }
}

/// The equity curve: `(unix ms, cumulative realized PnL in lamports)`, starting at zero when the
/// first position was opened, one point per realized sell in time order.
pub fn equity_curve(trades: &[RealizedTrade]) -> Vec<(i64, i64)> {
    let mut sorted = trades.to_vec();
    sorted.sort_by_key(|t| t.closed_at_ms);
    let Some(first) = sorted.first() else {
        return Vec::new();
    };
    let start = first.opened_at_ms.min(first.closed_at_ms);
    let mut equity = 0i64;
    let mut points = Vec::with_capacity(sorted.len() + 1);
    points.push((start, 0));
    for t in &sorted {
        equity = equity.saturating_add(t.pnl);
        points.push((t.closed_at_ms, equity));
    }
    points
}

/// Labels drawn inside the chart (en/ru in the user's language, English for zh).
struct Labels {
    title: String,
    x: String,
    y: String,
}

impl Labels {
    fn new(lang: Lang) -> Self {
        let lang = pics::picture_lang(lang);
        Self {
            title: pics::clean(&tr(lang, "pics.chart.title", &[]), 60),
            x: pics::clean(&tr(lang, "pics.chart.x", &[]), 60),
            y: pics::clean(&tr(lang, "pics.chart.y", &[]), 20),
        }
    }
}

/// Renders the equity curve of `trades` as a `WIDTH`×`HEIGHT` PNG: title, axes with numbers, a
/// zero line in grey, the curve in green when it ends at or above zero and red otherwise, and its
/// last value.
///
/// # Errors
/// [`ChartError::Empty`] without realized trades; font, drawing or encoding failures.
pub fn equity_png(trades: &[RealizedTrade], lang: Lang) -> Result<Vec<u8>, ChartError> {
    let curve = equity_curve(trades);
    let (Some(&(t0, _)), Some(&(t1, last))) = (curve.first(), curve.last()) else {
        return Err(ChartError::Empty);
    };
    pics::fonts()?;
    #[allow(clippy::cast_precision_loss)] // drawing only
    let points: Vec<(f64, f64)> = curve
        .iter()
        .map(|&(t, e)| (t.saturating_sub(t0) as f64 / MS_PER_HOUR, e as f64 / LAMPORTS_PER_SOL_F))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let x_max = (t1.saturating_sub(t0) as f64 / MS_PER_HOUR).max(1.0 / 60.0);
    let (lo, hi) = points.iter().fold((0.0f64, 0.0f64), |(lo, hi), &(_, y)| (lo.min(y), hi.max(y)));
    let pad = ((hi - lo) * 0.12).max(0.001);
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    pics::gradient(&mut rgb, WIDTH, HEIGHT);
    let last_text = format!("{} SOL", pics::sol_text(i128::from(last), true));
    draw(&mut rgb, &points, x_max, (lo - pad, hi + pad), last >= 0, &Labels::new(lang), &last_text)
        .map_err(ChartError::Draw)?;
    Ok(pics::encode(&rgb, WIDTH, HEIGHT)?)
}

/// Axis numbers: as many decimals as the range needs.
fn number(v: f64, span: f64) -> String {
    let decimals = if span >= 100.0 {
        0
    } else if span >= 1.0 {
        2
    } else if span >= 0.01 {
        3
    } else {
        4
    };
    // `-0.000` reads as a loss: print zero as zero.
    let v = if v.abs() < 10f64.powi(-decimals - 1) { 0.0 } else { v };
    #[allow(clippy::cast_sign_loss)]
    let d = decimals as usize;
    format!("{v:.d$}")
}

fn draw(
    rgb: &mut [u8],
    points: &[(f64, f64)],
    x_max: f64,
    y: (f64, f64),
    up: bool,
    labels: &Labels,
    last_text: &str,
) -> Result<(), String> {
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    root.draw_text(&labels.title, &style(pics::fit(&labels.title, 22.0, 560.0, true), true, WHITE_TEXT), (20, 14))
        .map_err(e)?;
    #[allow(clippy::cast_possible_truncation)]
    let brand_x = (f64::from(WIDTH) - 20.0 - pics::text_width(pics::BRAND, 20.0, true)) as i32;
    root.draw_text(pics::BRAND, &style(20.0, true, ACCENT), (brand_x, 16)).map_err(e)?;
    let color = if up { RGBColor(22, 163, 74) } else { RGBColor(220, 38, 38) };
    let area = root.margin(48, 12, 12, 24);
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..x_max, y.0..y.1)
        .map_err(|e| e.to_string())?;
    let (x_span, y_span) = (x_max, y.1 - y.0);
    chart
        .configure_mesh()
        .bold_line_style(LINE)
        .light_line_style(TRANSPARENT)
        .axis_style(GREY_TEXT)
        .x_labels(6)
        .y_labels(6)
        .label_style(style(14.0, false, GREY_TEXT))
        .axis_desc_style(style(15.0, false, GREY_TEXT))
        .x_desc(labels.x.as_str())
        .y_desc(labels.y.as_str())
        .x_label_formatter(&|v| number(*v, x_span * 10.0))
        .y_label_formatter(&|v| number(*v, y_span))
        .draw()
        .map_err(|e| e.to_string())?;
    let axis = RGBColor(150, 150, 150);
    chart.draw_series(LineSeries::new([(0.0, 0.0), (x_max, 0.0)], axis.stroke_width(2))).map_err(|e| e.to_string())?;
    chart.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(3))).map_err(|e| e.to_string())?;
    chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(|e| e.to_string())?;
    if let Some(&(lx, ly)) = points.last() {
        // The last value, next to the last point (left of it, so it stays inside the plot).
        let (px, py) = chart.backend_coord(&(lx, ly));
        #[allow(clippy::cast_possible_truncation)]
        let w = pics::text_width(last_text, 16.0, true) as i32;
        let x = (px - w - 8).max(80);
        let y = if up { py - 26 } else { py + 8 };
        root.draw_text(last_text, &style(16.0, true, color), (x, y.clamp(40, HEIGHT as i32 - 60))).map_err(e)?;
    }
    root.present().map_err(e)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn trade(pnl: i64, opened: i64, closed: i64) -> RealizedTrade {
        RealizedTrade { pnl, opened_at_ms: opened, closed_at_ms: closed }
    }

    #[test]
    fn equity_curve_starts_at_zero_and_accumulates_in_time_order() {
        let trades = [trade(-5, 100, 400), trade(10, 50, 200), trade(3, 300, 300)];
        assert_eq!(equity_curve(&trades), vec![(50, 0), (200, 10), (300, 13), (400, 8)]);
        assert!(equity_curve(&[]).is_empty());
    }

    #[test]
    fn equity_png_is_a_decodable_png_of_the_chart_size() {
        let trades = [trade(50_000_000, 0, 3_600_000), trade(-80_000_000, 0, 7_200_000)];
        let bytes = equity_png(&trades, Lang::En).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (WIDTH, HEIGHT));
        let mut pixels = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut pixels).unwrap();
        // Something red was drawn (the curve ends below zero), not just a white canvas.
        assert!(pixels.chunks(3).any(|p| p == [220, 38, 38]));
    }

    #[test]
    fn no_trades_is_empty_not_a_blank_picture() {
        assert!(matches!(equity_png(&[], Lang::En), Err(ChartError::Empty)));
    }

    #[test]
    fn one_trade_at_a_single_instant_still_draws() {
        assert!(equity_png(&[trade(0, 5, 5)], Lang::En).is_ok());
    }
}
