//! `/positions chart`: a PNG of cumulative realized PnL (equity) over time.
//!
//! Drawn with plotters' bitmap backend into an in-memory RGB buffer and encoded with `png`. No
//! text is drawn (no fonts are needed); the localized numbers go into the Telegram caption.
//! `f64` is used for drawing coordinates only; nothing here feeds a transaction.

use plotters::prelude::*;

use crate::domain::stats::RealizedTrade;

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

/// Renders the equity curve of `trades` as a `WIDTH`×`HEIGHT` PNG: a zero line in grey, the
/// curve in green when it ends at or above zero and red otherwise.
///
/// # Errors
/// [`ChartError::Empty`] without realized trades; drawing or encoding failures.
pub fn equity_png(trades: &[RealizedTrade]) -> Result<Vec<u8>, ChartError> {
    let curve = equity_curve(trades);
    let (Some(&(t0, _)), Some(&(t1, last))) = (curve.first(), curve.last()) else {
        return Err(ChartError::Empty);
    };
    #[allow(clippy::cast_precision_loss)] // drawing only
    let points: Vec<(f64, f64)> = curve
        .iter()
        .map(|&(t, e)| (t.saturating_sub(t0) as f64 / MS_PER_HOUR, e as f64 / LAMPORTS_PER_SOL_F))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let x_max = (t1.saturating_sub(t0) as f64 / MS_PER_HOUR).max(1.0 / 60.0);
    let (lo, hi) = points.iter().fold((0.0f64, 0.0f64), |(lo, hi), &(_, y)| (lo.min(y), hi.max(y)));
    let pad = ((hi - lo) * 0.1).max(0.001);
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    draw(&mut rgb, &points, x_max, (lo - pad, hi + pad), last >= 0).map_err(ChartError::Draw)?;
    encode(&rgb)
}

fn draw(rgb: &mut [u8], points: &[(f64, f64)], x_max: f64, y: (f64, f64), up: bool) -> Result<(), String> {
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart =
        ChartBuilder::on(&root).margin(16).build_cartesian_2d(0.0..x_max, y.0..y.1).map_err(|e| e.to_string())?;
    let grid = RGBColor(230, 230, 230);
    for i in 1..4 {
        let gy = y.0 + (y.1 - y.0) * f64::from(i) / 4.0;
        chart.draw_series(LineSeries::new([(0.0, gy), (x_max, gy)], grid)).map_err(|e| e.to_string())?;
    }
    let axis = RGBColor(150, 150, 150);
    chart.draw_series(LineSeries::new([(0.0, 0.0), (x_max, 0.0)], axis.stroke_width(2))).map_err(|e| e.to_string())?;
    chart.draw_series(LineSeries::new([(0.0, y.0), (0.0, y.1)], axis.stroke_width(2))).map_err(|e| e.to_string())?;
    let color = if up { RGBColor(22, 163, 74) } else { RGBColor(220, 38, 38) };
    chart.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(3))).map_err(|e| e.to_string())?;
    chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

fn encode(rgb: &[u8]) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
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
        let bytes = equity_png(&trades).unwrap();
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
        assert!(matches!(equity_png(&[]), Err(ChartError::Empty)));
    }

    #[test]
    fn one_trade_at_a_single_instant_still_draws() {
        assert!(equity_png(&[trade(0, 5, 5)]).is_ok());
    }
}
