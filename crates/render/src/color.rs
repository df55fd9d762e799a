//! Colour scales: a computed viridis-like sequential scale, a red/blue diverging
//! scale and a categorical palette for line series.

/// An sRGB colour with 8-bit channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb {
    /// Red channel.
    pub r: u8,
    /// Green channel.
    pub g: u8,
    /// Blue channel.
    pub b: u8,
}

/// Grey used for missing (NaN or infinite) values.
pub const MISSING: Rgb = Rgb::new(0xbd, 0xbd, 0xbd);
/// Colour of the positive end of the diverging scale (red).
pub const POSITIVE: Rgb = Rgb::new(0xb2, 0x18, 0x2b);
/// Colour of the negative end of the diverging scale (blue).
pub const NEGATIVE: Rgb = Rgb::new(0x21, 0x66, 0xac);
/// Colour of the neutral middle of the diverging scale (near white).
pub const NEUTRAL: Rgb = Rgb::new(0xf7, 0xf7, 0xf7);
/// Fill of positive bars and highlights (a lighter red of the same RdBu family).
pub const POSITIVE_FILL: Rgb = Rgb::new(0xd6, 0x60, 0x4d);
/// Fill of negative bars and highlights (a lighter blue of the same RdBu family).
pub const NEGATIVE_FILL: Rgb = Rgb::new(0x43, 0x93, 0xc3);

/// Ten well-separated colours for line series (Tableau 10).
const CATEGORICAL: [Rgb; 10] = [
    Rgb::new(0x4e, 0x79, 0xa7),
    Rgb::new(0xf2, 0x8e, 0x2b),
    Rgb::new(0xe1, 0x57, 0x59),
    Rgb::new(0x76, 0xb7, 0xb2),
    Rgb::new(0x59, 0xa1, 0x4f),
    Rgb::new(0xed, 0xc9, 0x48),
    Rgb::new(0xb0, 0x7a, 0xa1),
    Rgb::new(0xff, 0x9d, 0xa7),
    Rgb::new(0x9c, 0x75, 0x5f),
    Rgb::new(0xba, 0xb0, 0xac),
];

impl Rgb {
    /// A colour from its channels.
    pub const fn new(r: u8, g: u8, b: u8) -> Self {
        Rgb { r, g, b }
    }

    /// `#rrggbb`, lower case.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }

    /// CSS `rgba(r,g,b,a)` with the alpha rounded to 3 decimals.
    pub fn rgba(self, alpha: f64) -> String {
        let a = if alpha.is_finite() {
            (alpha.clamp(0.0, 1.0) * 1000.0).round() / 1000.0
        } else {
            0.0
        };
        format!("rgba({},{},{},{a})", self.r, self.g, self.b)
    }

    /// Relative luminance (WCAG), 0 for black to 1 for white.
    pub fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.r) + 0.7152 * lin(self.g) + 0.0722 * lin(self.b)
    }

    /// Black or white, whichever reads better on this colour.
    pub fn contrasting_text(self) -> Rgb {
        if self.luminance() > 0.32 {
            Rgb::new(0x1a, 0x1a, 0x1a)
        } else {
            Rgb::new(0xff, 0xff, 0xff)
        }
    }

    fn from_unit(r: f64, g: f64, b: f64) -> Self {
        let q = |c: f64| (c.clamp(0.0, 1.0) * 255.0).round() as u8;
        Rgb::new(q(r), q(g), q(b))
    }

    /// Linear interpolation between `self` (t = 0) and `other` (t = 1).
    fn mix(self, other: Rgb, t: f64) -> Rgb {
        let t = t.clamp(0.0, 1.0);
        let m = |a: u8, b: u8| f64::from(a) / 255.0 * (1.0 - t) + f64::from(b) / 255.0 * t;
        Rgb::from_unit(m(self.r, other.r), m(self.g, other.g), m(self.b, other.b))
    }
}

/// Sequential scale for `t` in `[0, 1]` (clamped): dark purple → teal → yellow.
///
/// A degree-6 polynomial fit of matplotlib's viridis (after Matt Zucker's public-domain
/// fit), evaluated with Horner's rule; perceptually uniform and colour-blind safe.
/// A non-finite `t` gives [`MISSING`].
pub fn sequential(t: f64) -> Rgb {
    if !t.is_finite() {
        return MISSING;
    }
    const C: [[f64; 3]; 7] = [
        [0.277_727_327, 0.005_407_345, 0.334_099_805],
        [0.105_093_043, 1.404_613_530, 1.384_590_163],
        [-0.330_861_829, 0.214_847_559, 0.095_095_163],
        [-4.634_230_499, -5.799_100_973, -19.332_440_956],
        [6.228_269_936, 14.179_933_367, 56.690_552_601],
        [4.776_384_998, -13.745_145_378, -65.353_032_633],
        [-5.435_455_856, 4.645_852_612, 26.312_435_250],
    ];
    let t = t.clamp(0.0, 1.0);
    let channel = |k: usize| C.iter().rev().fold(0.0, |acc, c| acc * t + c[k]);
    Rgb::from_unit(channel(0), channel(1), channel(2))
}

/// Diverging scale for `t` in `[-1, 1]` (clamped): blue → near white → red.
///
/// A non-finite `t` gives [`MISSING`].
pub fn diverging(t: f64) -> Rgb {
    if !t.is_finite() {
        return MISSING;
    }
    let t = t.clamp(-1.0, 1.0);
    if t >= 0.0 {
        NEUTRAL.mix(POSITIVE, t)
    } else {
        NEUTRAL.mix(NEGATIVE, -t)
    }
}

/// The colour of line series number `index` (cycles after ten).
pub fn categorical(index: usize) -> Rgb {
    CATEGORICAL[index % CATEGORICAL.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Rgb, b: Rgb, tol: i32) -> bool {
        (i32::from(a.r) - i32::from(b.r)).abs() <= tol
            && (i32::from(a.g) - i32::from(b.g)).abs() <= tol
            && (i32::from(a.b) - i32::from(b.b)).abs() <= tol
    }

    #[test]
    fn sequential_matches_viridis_endpoints_and_midpoint() {
        // Reference viridis colours: #440154, #21918c, #fde725.
        assert!(
            close(sequential(0.0), Rgb::new(0x44, 0x01, 0x54), 6),
            "{:?}",
            sequential(0.0)
        );
        assert!(
            close(sequential(0.5), Rgb::new(0x21, 0x91, 0x8c), 6),
            "{:?}",
            sequential(0.5)
        );
        assert!(
            close(sequential(1.0), Rgb::new(0xfd, 0xe7, 0x25), 6),
            "{:?}",
            sequential(1.0)
        );
        assert_eq!(sequential(-3.0), sequential(0.0));
        assert_eq!(sequential(7.0), sequential(1.0));
        assert_eq!(sequential(f64::NAN), MISSING);
    }

    #[test]
    fn sequential_gets_brighter_monotonically() {
        let lum: Vec<f64> = (0..=20)
            .map(|i| sequential(f64::from(i) / 20.0).luminance())
            .collect();
        assert!(lum.windows(2).all(|w| w[1] > w[0]), "{lum:?}");
    }

    #[test]
    fn diverging_endpoints_and_midpoint() {
        assert_eq!(diverging(-1.0), NEGATIVE);
        assert_eq!(diverging(0.0), NEUTRAL);
        assert_eq!(diverging(1.0), POSITIVE);
        assert_eq!(diverging(f64::INFINITY), MISSING);
        let half = diverging(0.5);
        assert!(half.r > half.b, "positive half is reddish: {half:?}");
        let neg = diverging(-0.5);
        assert!(neg.b > neg.r, "negative half is bluish: {neg:?}");
    }

    #[test]
    fn hex_and_rgba_formats() {
        assert_eq!(Rgb::new(0, 128, 255).hex(), "#0080ff");
        assert_eq!(Rgb::new(1, 2, 3).rgba(0.12345), "rgba(1,2,3,0.123)");
        assert_eq!(Rgb::new(1, 2, 3).rgba(f64::NAN), "rgba(1,2,3,0)");
    }

    #[test]
    fn contrasting_text_flips_on_dark_colours() {
        assert_eq!(
            sequential(0.0).contrasting_text(),
            Rgb::new(0xff, 0xff, 0xff)
        );
        assert_eq!(
            sequential(1.0).contrasting_text(),
            Rgb::new(0x1a, 0x1a, 0x1a)
        );
    }
}
