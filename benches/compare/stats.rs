//! Medians, percentiles and how figures are printed.

use std::time::Duration;

pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Nearest-rank percentile.
pub fn percentile(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn fmt_ms(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else if x < 10.0 {
        format!("{x:.2}")
    } else if x < 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

pub fn fmt_ratio(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else if x < 0.1 {
        format!("{x:.3}")
    } else {
        format!("{x:.2}")
    }
}

pub fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

// ---------------------------------------------------------------------------------------

/// Wall and CPU milliseconds of repeated runs of one case.
#[derive(Default)]
pub struct Samples {
    pub wall: Vec<f64>,
    pub cpu: Vec<f64>,
}

impl Samples {
    pub fn push(&mut self, wall: Duration, cpu_s: f64) {
        self.wall.push(ms(wall));
        self.cpu.push(cpu_s * 1000.0);
    }
    pub fn is_empty(&self) -> bool {
        self.wall.is_empty()
    }
}
