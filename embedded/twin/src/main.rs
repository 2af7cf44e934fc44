//! The firmware's run on the host: the same `run.rs`, the same data bits, the same core, the same
//! output lines (without the stack line, which only the firmware measures).

#[path = "../../src/run.rs"]
mod run;

mod dataset {
    include!(concat!(env!("OUT_DIR"), "/dataset.rs"));
}

/// Max relative error of the core's exp, ln and sqrt (libm, or micromath with `fast-math`)
/// against f64 over log-spaced grids.
fn math_report() {
    use smoothscore_core::math;
    let grid = |low: f64, high: f64| {
        (0..=20_000).map(move |i| low + (high - low) * f64::from(i) / 20_000.0)
    };
    let worst = |pairs: &mut dyn Iterator<Item = (f32, f64)>| {
        pairs
            .map(|(got, want)| ((f64::from(got) - want) / want).abs())
            .fold(0.0f64, f64::max)
    };
    let exp =
        worst(&mut grid(-80.0, 80.0).map(|x| (math::exp(x as f32), (f64::from(x as f32)).exp())));
    let ln = grid(-30.0, 30.0)
        .map(|e| {
            let x = e.exp() as f32;
            (f64::from(math::ln(x)) - f64::from(x).ln()).abs()
        })
        .fold(0.0f64, f64::max);
    let sqrt = worst(&mut grid(-30.0, 30.0).map(|e| {
        let x = (e.exp()) as f32;
        (math::sqrt(x), f64::from(x).sqrt())
    }));
    println!("max error vs f64: exp {exp:.2e} relative (|x| ≤ 80), ln {ln:.2e} absolute (x in e^±30), sqrt {sqrt:.2e} relative");
}

fn main() {
    if std::env::args().any(|a| a == "--math-report") {
        math_report();
        return;
    }
    let result = run::run(&dataset::DATA, dataset::DIM, |config, index, sample| {
        let bits: Vec<String> = sample
            .iter()
            .map(|v| format!("{:08x}", v.to_bits()))
            .collect();
        println!("{} {} {}", config.name(), index, bits.join(" "));
    });
    if let Err(error) = result {
        eprintln!("error {error}");
        std::process::exit(1);
    }
    println!("done");
}
