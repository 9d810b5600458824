//! Shareable pictures: the PnL card of a position or closed trade, and the bundled font that the
//! equity chart ([`super::chart`]) draws its labels with.
//!
//! Everything is rendered in-process: plotters' bitmap backend draws into an RGB buffer with the
//! DejaVu Sans font bundled in `assets/fonts/` (Bitstream Vera / DejaVu licence, see
//! `assets/fonts/LICENSE-DejaVu.txt`), registered from bytes, never from system fonts; `png`
//! encodes it. DejaVu Sans covers Latin and Cyrillic, not CJK: labels drawn inside a picture for a
//! Chinese user are in English (the caption stays localized), and token names keep only the
//! characters the font can draw (emoji and CJK are dropped rather than drawn as boxes).
//! `f64` is used for drawing coordinates only; nothing here feeds a transaction.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, ScaleFont};
use plotters::prelude::*;
use plotters::style::{FontDesc, FontFamily, FontStyle, register_font};
use rust_decimal::Decimal;

use crate::domain::lang::Lang;
use crate::domain::money::LAMPORTS_PER_SOL;
use crate::i18n::tr;

/// DejaVu Sans (regular).
static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// PnL card width in pixels.
pub const CARD_WIDTH: u32 = 1000;
/// PnL card height in pixels.
pub const CARD_HEIGHT: u32 = 600;

/// Background, top and bottom of the vertical gradient.
pub const BG_TOP: RGBColor = RGBColor(13, 17, 23);
const BG_BOTTOM: RGBColor = RGBColor(24, 30, 40);
/// Gains.
pub const GREEN: RGBColor = RGBColor(34, 197, 94);
/// Losses.
pub const RED: RGBColor = RGBColor(239, 68, 68);
/// Unknown PnL.
const NEUTRAL: RGBColor = RGBColor(148, 163, 184);
/// Main text.
pub const WHITE_TEXT: RGBColor = RGBColor(240, 246, 252);
/// Secondary text.
pub const GREY_TEXT: RGBColor = RGBColor(139, 148, 158);
/// The bot's name.
pub const ACCENT: RGBColor = RGBColor(139, 92, 246);
/// Divider lines and grid.
pub const LINE: RGBColor = RGBColor(48, 54, 61);

/// The bot's name drawn on every picture.
pub const BRAND: &str = "QuantBot";

/// Why a picture could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PicError {
    /// The bundled font could not be loaded (never expected: it is compiled in).
    #[error("the bundled font cannot be loaded")]
    Font,
    /// The drawing backend failed.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error(transparent)]
    Encode(#[from] png::EncodingError),
}

/// Registers the bundled font with plotters (once) and returns it for measuring text.
///
/// # Errors
/// [`PicError::Font`] if the compiled-in font does not parse.
pub fn fonts() -> Result<&'static (FontRef<'static>, FontRef<'static>), PicError> {
    static FONTS: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let regular = FontRef::try_from_slice(REGULAR).ok()?;
            let bold = FontRef::try_from_slice(BOLD).ok()?;
            register_font("sans-serif", FontStyle::Normal, REGULAR).ok()?;
            register_font("sans-serif", FontStyle::Bold, BOLD).ok()?;
            Some((regular, bold))
        })
        .as_ref()
        .ok_or(PicError::Font)
}

/// Whether the bundled font has a glyph for `c`.
fn drawable(font: &FontRef<'_>, c: char) -> bool {
    c == ' ' || (!c.is_control() && font.glyph_id(c).0 != 0)
}

/// `text` with only characters the bundled font can draw, whitespace collapsed, at most `max`
/// characters (cut with `…`).
pub fn clean(text: &str, max: usize) -> String {
    let Ok((regular, _)) = fonts() else {
        return text.chars().filter(char::is_ascii_graphic).take(max).collect();
    };
    let kept: String =
        text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).filter(|c| drawable(regular, *c)).collect();
    let words: Vec<&str> = kept.split(' ').filter(|w| !w.is_empty()).collect();
    let joined = words.join(" ");
    if joined.chars().count() <= max {
        return joined;
    }
    let mut cut: String = joined.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A mint as `DezXAZ…B263`.
pub fn short_mint(mint: &str) -> String {
    let chars: Vec<char> = mint.chars().collect();
    if chars.len() <= 12 {
        return mint.to_owned();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Width in pixels of `text` at `px` (bold or regular).
pub fn text_width(text: &str, px: f64, bold: bool) -> f64 {
    let Ok((regular, heavy)) = fonts() else {
        return 0.0;
    };
    let font = if bold { heavy } else { regular };
    #[allow(clippy::cast_possible_truncation)] // drawing only
    let scaled = font.as_scaled(px as f32);
    f64::from(text.chars().map(|c| scaled.h_advance(scaled.glyph_id(c))).sum::<f32>())
}

/// The largest size ≤ `px` (and ≥ 10) at which `text` fits in `max_width` pixels.
pub fn fit(text: &str, px: f64, max_width: f64, bold: bool) -> f64 {
    let w = text_width(text, px, bold);
    if w <= max_width || w <= 0.0 { px } else { (px * max_width / w).max(10.0) }
}

/// A text style of the bundled font.
pub fn style(px: f64, bold: bool, color: RGBColor) -> TextStyle<'static> {
    let font = FontDesc::new(FontFamily::SansSerif, px, if bold { FontStyle::Bold } else { FontStyle::Normal });
    TextStyle { font, color: color.to_backend_color(), pos: plotters::style::text_anchor::Pos::default() }
}

/// Fills an RGB buffer with the dark vertical gradient of every picture.
pub fn gradient(rgb: &mut [u8], width: u32, height: u32) {
    let row = width as usize * 3;
    for (y, line) in rgb.chunks_mut(row).enumerate() {
        let t = f64::from(u32::try_from(y).unwrap_or(height)) / f64::from(height.max(1));
        let mix = |a: u8, b: u8| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0..=255 by construction
            let v = (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round().clamp(0.0, 255.0) as u8;
            v
        };
        let px = [mix(BG_TOP.0, BG_BOTTOM.0), mix(BG_TOP.1, BG_BOTTOM.1), mix(BG_TOP.2, BG_BOTTOM.2)];
        for p in line.chunks_mut(3) {
            p.copy_from_slice(&px);
        }
    }
}

/// Encodes an RGB buffer as a PNG.
///
/// # Errors
/// PNG encoding failures.
pub fn encode(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

/// Lamports as SOL rounded to 4 decimals, with thousands separators and, when `signed`, a `+`
/// on gains.
pub fn sol_text(lamports: i128, signed: bool) -> String {
    let text = match Decimal::try_from_i128_with_scale(lamports, 9) {
        Ok(d) => d.round_dp(4).normalize().to_string(),
        // Beyond 96 bits (never a real amount): whole SOL.
        Err(_) => (lamports / i128::from(LAMPORTS_PER_SOL)).to_string(),
    };
    signed_number(&text, signed)
}

/// Thousands separators; `-0` as `0`; with `signed`, a `+` on positive numbers.
fn signed_number(text: &str, signed: bool) -> String {
    let zero = text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.');
    if zero {
        return "0".to_owned();
    }
    let text = group(text);
    if signed && !text.starts_with('-') { format!("+{text}") } else { text }
}

/// `-1234567.5` → `-1,234,567.5`.
fn group(number: &str) -> String {
    let (sign, rest) = number.strip_prefix('-').map_or(("", number), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// PnL as a percentage of `cost` with two decimals (`+123.45%`, `-50%`); `None` without a cost.
pub fn pct_text(pnl: i128, cost: u64) -> Option<String> {
    if cost == 0 {
        return None;
    }
    let bp = pnl.saturating_mul(10_000) / i128::from(cost);
    let text = match Decimal::try_from_i128_with_scale(bp, 2) {
        Ok(d) => d.normalize().to_string(),
        Err(_) => (bp / 100).to_string(),
    };
    Some(format!("{}%", signed_number(&text, true)))
}

/// A hold time as `3d 4h`, `2h 05m`, `7m 30s` or `12s` (units in `lang`).
pub fn held_text(ms: i64, lang: Lang) -> String {
    let s = ms.max(0) / 1000;
    let (d, h, m, sec) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60, s % 60);
    let two = |v: i64| format!("{v:02}");
    if d > 0 {
        tr(lang, "pics.time.dh", &[("d", &d.to_string()), ("h", &h.to_string())])
    } else if h > 0 {
        tr(lang, "pics.time.hm", &[("h", &h.to_string()), ("m", &two(m))])
    } else if m > 0 {
        tr(lang, "pics.time.ms", &[("m", &m.to_string()), ("s", &two(sec))])
    } else {
        tr(lang, "pics.time.s", &[("s", &sec.to_string())])
    }
}

/// What a PnL card shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PnlCard {
    /// Position id.
    pub position_id: i64,
    /// Symbol, else name, else the short mint.
    pub title: String,
    /// Name (when a symbol is the title) or the short mint.
    pub subtitle: String,
    /// SOL put in: every buy with its fees (lamports).
    pub entry: u64,
    /// SOL out (closed: every sell net of fees) or now (open: realized so far plus the current
    /// value of the tokens held); `None` when the tokens held cannot be priced.
    pub value: Option<i128>,
    /// Still open.
    pub open: bool,
    /// Paper (dry-run) trade.
    pub paper: bool,
    /// Opened (unix ms).
    pub opened_ms: i64,
    /// Closed, or now for an open position (unix ms).
    pub until_ms: i64,
}

impl PnlCard {
    /// PnL in lamports, when the value is known.
    pub fn pnl(&self) -> Option<i128> {
        self.value.map(|v| v.saturating_sub(i128::from(self.entry)))
    }

    /// PnL in percent of the entry, when known.
    pub fn pct(&self) -> Option<String> {
        pct_text(self.pnl()?, self.entry)
    }
}

/// The labels drawn inside the picture: in the user's language for en and ru, in English for zh
/// (the bundled font has no CJK glyphs); the caption is always localized.
fn label(lang: Lang, key: &str) -> String {
    tr(picture_lang(lang), key, &[])
}

/// The language of text drawn inside a picture: English for zh (no CJK glyphs in the font).
pub fn picture_lang(lang: Lang) -> Lang {
    if lang == Lang::Zh { Lang::En } else { lang }
}

/// Renders a PnL card as a `CARD_WIDTH`×`CARD_HEIGHT` PNG: dark background, the bot's name, the
/// token, a big green (gain) or red (loss) PnL %, PnL in SOL, entry, exit or current value and
/// hold time. Any input draws (huge, negative or unknown values, empty or exotic names).
///
/// # Errors
/// Font, drawing or encoding failures.
pub fn pnl_card_png(card: &PnlCard, lang: Lang) -> Result<Vec<u8>, PicError> {
    fonts()?;
    let mut rgb = vec![0u8; CARD_WIDTH as usize * CARD_HEIGHT as usize * 3];
    gradient(&mut rgb, CARD_WIDTH, CARD_HEIGHT);
    draw_card(&mut rgb, card, lang).map_err(PicError::Draw)?;
    Ok(encode(&rgb, CARD_WIDTH, CARD_HEIGHT)?)
}

fn draw_card(rgb: &mut [u8], card: &PnlCard, lang: Lang) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    let root = BitMapBackend::with_buffer(rgb, (CARD_WIDTH, CARD_HEIGHT)).into_drawing_area();
    let w = f64::from(CARD_WIDTH);
    let pnl = card.pnl();
    let color = match pnl {
        Some(p) if p < 0 => RED,
        Some(_) => GREEN,
        None => NEUTRAL,
    };
    let left = 56i32;
    let inner = w - 2.0 * f64::from(left);
    // Accent bar and a faint glow band in the PnL colour.
    root.draw(&Rectangle::new([(0, 0), (12, CARD_HEIGHT as i32)], color.filled())).map_err(e)?;
    root.draw(&Rectangle::new([(12, 0), (16, CARD_HEIGHT as i32)], color.mix(0.35).filled())).map_err(e)?;

    // Header: the bot's name, and paper/live · open/closed on the right.
    root.draw_text(BRAND, &style(30.0, true, ACCENT), (left, 34)).map_err(e)?;
    let tag = format!(
        "{} · {}",
        label(lang, if card.paper { "pics.paper" } else { "pics.live" }),
        label(lang, if card.open { "pics.open" } else { "pics.closed" })
    );
    let tag = clean(&tag, 40);
    let tag_px = fit(&tag, 22.0, inner / 2.0, false);
    #[allow(clippy::cast_possible_truncation)] // drawing only
    let tag_x = (w - f64::from(left) - text_width(&tag, tag_px, false)) as i32;
    root.draw_text(&tag, &style(tag_px, false, GREY_TEXT), (tag_x, 40)).map_err(e)?;

    // Token.
    let title = clean(&card.title, 24);
    let title = if title.is_empty() { "?".to_owned() } else { title };
    root.draw_text(&title, &style(fit(&title, 54.0, inner, true), true, WHITE_TEXT), (left, 96)).map_err(e)?;
    let subtitle = clean(&card.subtitle, 48);
    root.draw_text(&subtitle, &style(fit(&subtitle, 24.0, inner, false), false, GREY_TEXT), (left, 166)).map_err(e)?;

    // The big PnL %.
    let pct = card.pct().unwrap_or_else(|| "—".to_owned());
    let pct_px = fit(&pct, 132.0, inner, true);
    root.draw_text(&pct, &style(pct_px, true, color), (left, 222)).map_err(e)?;
    let pnl_sol = pnl.map_or_else(|| label(lang, "pics.no_price"), |p| format!("{} SOL", sol_text(p, true)));
    root.draw_text(&pnl_sol, &style(fit(&pnl_sol, 40.0, inner, true), true, color), (left, 356)).map_err(e)?;

    // Divider and the three facts.
    #[allow(clippy::cast_possible_truncation)]
    let right = (w - f64::from(left)) as i32;
    root.draw(&Rectangle::new([(left, 436), (right, 438)], LINE.filled())).map_err(e)?;
    let value_label = if card.open { "pics.value" } else { "pics.exit" };
    let facts = [
        (label(lang, "pics.entry"), format!("{} SOL", sol_text(i128::from(card.entry), false))),
        (
            label(lang, value_label),
            card.value.map_or_else(|| "—".to_owned(), |v| format!("{} SOL", sol_text(v, false))),
        ),
        (label(lang, "pics.held"), held_text(card.until_ms.saturating_sub(card.opened_ms), picture_lang(lang))),
    ];
    let col = inner / 3.0;
    for (i, (name, value)) in facts.iter().enumerate() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let x = left + (col * i as f64) as i32;
        let name = clean(name, 24);
        root.draw_text(&name, &style(fit(&name, 20.0, col - 16.0, false), false, GREY_TEXT), (x, 458)).map_err(e)?;
        root.draw_text(value, &style(fit(value, 30.0, col - 16.0, true), true, WHITE_TEXT), (x, 490)).map_err(e)?;
    }

    // Footer: position and date.
    let day = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(card.until_ms)
        .map_or_else(String::new, |d| format!("{} UTC", d.format("%F %R")));
    let footer = format!("#{} · {day}", card.position_id);
    root.draw_text(&footer, &style(18.0, false, GREY_TEXT), (left, 556)).map_err(e)?;
    #[allow(clippy::cast_possible_truncation)]
    let brand_x = (w - f64::from(left) - text_width("quantbot", 18.0, false)) as i32;
    root.draw_text("quantbot", &style(18.0, false, ACCENT), (brand_x, 556)).map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}

/// The PnL card's caption (localized, plain text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PicsReply {
    /// Under a PnL card.
    CardCaption {
        /// The card.
        card: Box<PnlCard>,
    },
}

impl PicsReply {
    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::CardCaption { card } => {
                let pnl = card.pnl().map_or_else(|| tr(lang, "pics.caption_na", &[]), |p| sol_text(p, true));
                let pct = card.pct().unwrap_or_else(|| "—".to_owned());
                tr(
                    lang,
                    if card.open { "pics.caption_open" } else { "pics.caption_closed" },
                    &[
                        ("token", &card.title),
                        ("pct", &pct),
                        ("pnl", &pnl),
                        ("held", &held_text(card.until_ms.saturating_sub(card.opened_ms), lang)),
                        ("id", &card.position_id.to_string()),
                    ],
                )
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(sol_text(1_234_567_891_234, true), "+1,234.5679");
        assert_eq!(sol_text(-50_000_000, true), "-0.05");
        assert_eq!(sol_text(0, true), "0");
        assert_eq!(pct_text(50, 100).unwrap(), "+50%");
        assert_eq!(pct_text(-1, 3).unwrap(), "-33.33%");
        assert_eq!(pct_text(1, 0), None);
        assert_eq!(pct_text(i128::from(u64::MAX), 1).unwrap(), "+1,844,674,407,370,955,161,500%");
        assert_eq!(pct_text(0, 7).unwrap(), "0%");
        assert_eq!(sol_text(i128::MIN, true), "-170,141,183,460,469,231,731,687,303,715");
        assert_eq!(sol_text(-1, true), "0");
        assert_eq!(held_text(3 * 86_400_000 + 4 * 3_600_000, Lang::En), "3d 4h");
        assert_eq!(held_text(7_500_000, Lang::En), "2h 05m");
        assert_eq!(held_text(-5, Lang::En), "0s");
        assert_eq!(held_text(450_000, Lang::Ru), "7 мин 30 с");
    }

    #[test]
    fn names_keep_only_what_the_font_draws() {
        assert_eq!(clean("  Pepe\n🐸 Coin 中文 ", 32), "Pepe Coin");
        assert_eq!(clean("Собака", 32), "Собака");
        assert_eq!(clean("abcdefghij", 5), "abcd…");
        assert_eq!(clean("🚀🚀", 5), "");
    }

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut pixels).unwrap();
        (reader.info().width, reader.info().height, pixels)
    }

    fn card(entry: u64, value: Option<i128>, title: &str) -> PnlCard {
        PnlCard {
            position_id: 7,
            title: title.to_owned(),
            subtitle: "DezXAZ…B263".to_owned(),
            entry,
            value,
            open: false,
            paper: true,
            opened_ms: 1_796_000_000_000,
            until_ms: 1_796_000_000_000 + 8_220_000,
        }
    }

    fn count(pixels: &[u8], color: RGBColor) -> usize {
        pixels.chunks(3).filter(|p| *p == [color.0, color.1, color.2]).count()
    }

    #[test]
    fn a_gain_is_a_png_of_the_card_size_with_big_green_text_and_white_labels() {
        let (w, h, pixels) = decode(&pnl_card_png(&card(100_000_000, Some(250_000_000), "BONK"), Lang::En).unwrap());
        assert_eq!((w, h), (CARD_WIDTH, CARD_HEIGHT));
        // Not blank: many distinct colours (gradient, anti-aliased glyphs).
        let distinct: std::collections::HashSet<&[u8]> = pixels.chunks(3).collect();
        assert!(distinct.len() > 200, "{} colours", distinct.len());
        // The PnL % is big: thousands of solid green pixels, no red; the title is drawn in white.
        assert!(count(&pixels, GREEN) > 5_000, "{}", count(&pixels, GREEN));
        assert_eq!(count(&pixels, RED), 0);
        assert!(count(&pixels, WHITE_TEXT) > 1_000, "{}", count(&pixels, WHITE_TEXT));
    }

    #[test]
    fn a_loss_is_red_and_an_unknown_value_is_neither() {
        let (_, _, loss) = decode(&pnl_card_png(&card(100_000_000, Some(40_000_000), "X"), Lang::Ru).unwrap());
        assert!(count(&loss, RED) > 5_000 && count(&loss, GREEN) == 0);
        let (_, _, unknown) = decode(&pnl_card_png(&card(100_000_000, None, "X"), Lang::Zh).unwrap());
        assert_eq!(count(&unknown, RED) + count(&unknown, GREEN), 0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Any values and names draw: huge or negative PnL, zero entry, empty, long, emoji, CJK
        /// and control characters, any time span.
        #[test]
        fn rendering_never_panics(
            entry in proptest::prelude::any::<u64>(),
            value in proptest::option::of(proptest::prelude::any::<i128>()),
            title in "\\PC{0,80}",
            subtitle in proptest::prelude::any::<String>(),
            opened in proptest::prelude::any::<i64>(),
            until in proptest::prelude::any::<i64>(),
            open in proptest::prelude::any::<bool>(),
            id in proptest::prelude::any::<i64>(),
        ) {
            let c = PnlCard { position_id: id, title, subtitle, entry, value, open, paper: !open, opened_ms: opened, until_ms: until };
            let (w, h, _) = decode(&pnl_card_png(&c, Lang::En).unwrap());
            proptest::prop_assert_eq!((w, h), (CARD_WIDTH, CARD_HEIGHT));
            let _ = PicsReply::CardCaption { card: Box::new(c) }.text(Lang::Ru);
        }
    }

    #[test]
    fn extreme_and_exotic_cards_draw() {
        for (entry, value, title) in [
            (1, Some(i128::MAX), "🚀🚀🚀 MOON 🚀🚀🚀"),
            (u64::MAX, Some(i128::MIN), ""),
            (0, Some(0), "中文名字"),
            (5, Some(-5), &"W".repeat(500)),
        ] {
            let (w, _, _) = decode(&pnl_card_png(&card(entry, value, title), Lang::En).unwrap());
            assert_eq!(w, CARD_WIDTH);
        }
    }
}
