//! Unit tests of the exponential-linear dual: brute-force 2-D quadrature, 30-digit references,
//! Price's theorem, Monte Carlo, limits and extreme variances.

use super::*;

fn t_one(a: f64, b: f64) -> f64 {
    super::t_one(&SELU, a, b)
}
fn mean_phi(a: f64) -> f64 {
    super::mean_phi(&SELU, a)
}
use crate::rng::Rng;

/// n-point Gauss–Legendre on [-1, 1] by Newton's method on P_n (independent of the
/// crate's tabulated rules).
fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, x);
            for k in 2..=n {
                let k = k as f64;
                (p0, p1) = (p1, ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k);
            }
            dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
            let dx = p1 / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        out.push((x, 2.0 / ((1.0 - x * x) * dp * dp)));
    }
    out
}

/// Neumaier-compensated sum.
#[derive(Default)]
struct Sum(f64, f64);
impl Sum {
    fn add(&mut self, v: f64) {
        let t = self.0 + v;
        self.1 += if self.0.abs() >= v.abs() {
            (self.0 - t) + v
        } else {
            (v - t) + self.0
        };
        self.0 = t;
    }
    fn get(&self) -> f64 {
        self.0 + self.1
    }
}

/// int_lo^hi f by composite Gauss–Legendre on panels of width <= w with extra breakpoints.
fn composite(
    rule: &[(f64, f64)],
    lo: f64,
    hi: f64,
    w: f64,
    extra: &[f64],
    mut f: impl FnMut(f64) -> f64,
) -> f64 {
    let mut pts = vec![lo, hi];
    let n = ((hi - lo) / w).ceil() as usize;
    pts.extend((1..n).map(|i| lo + (hi - lo) * i as f64 / n as f64));
    pts.extend(extra.iter().copied().filter(|&p| p > lo && p < hi));
    pts.sort_by(f64::total_cmp);
    pts.dedup();
    let mut total = Sum::default();
    for p in pts.windows(2) {
        let (c, h) = (0.5 * (p[0] + p[1]), 0.5 * (p[1] - p[0]));
        let mut panel = 0.0;
        for &(x, wt) in rule {
            panel += wt * f(c + h * x);
        }
        total.add(h * panel);
    }
    total.get()
}

fn npdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() * FRAC_1_SQRT_2PI
}

/// Brute-force E[f(u) g(v)]: u = a x, v = b (rho x + r z), x, z iid N(0,1), iterated
/// composite 20-point Gauss–Legendre on [-12, 12]^2 split at the kinks u = 0 and v = 0.
fn brute_expect(q1: f64, q2: f64, rho: f64, f: fn(f64) -> f64, g: fn(f64) -> f64) -> f64 {
    let gl = gauss_legendre(20);
    let (a, b) = (q1.sqrt(), q2.sqrt());
    let r = ((1.0 - rho) * (1.0 + rho)).max(0.0).sqrt();
    // the outer integrand changes over |x| ~ r around x = 0 (where P(v > 0 | x) switches);
    // e^u, e^v change over 1/a in x and 1/(b r) in z
    let extra: Vec<f64> = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0]
        .iter()
        .flat_map(|&k| [k * r, -k * r])
        .collect();
    let (wx, wz) = ((2.0 / a.max(b)).min(0.5), (2.0 / (b * r)).min(0.5));
    composite(&gl, -12.0, 12.0, wx, &extra, |x| {
        let inner = if r == 0.0 {
            g(b * rho * x)
        } else {
            let z0 = -rho * x / r;
            composite(&gl, -12.0, 12.0, wz, &[z0], |z| {
                g(b * (rho * x + r * z)) * npdf(z)
            })
        };
        f(a * x) * inner * npdf(x)
    })
}

/// Brute-force (T, Tdot).
fn brute(q1: f64, q2: f64, rho: f64) -> (f64, f64) {
    (
        brute_expect(q1, q2, rho, phi, phi),
        brute_expect(q1, q2, rho, dphi, dphi),
    )
}

fn cov(q1: f64, q2: f64, rho: f64) -> (f64, f64) {
    let rr = (q1 * q2).sqrt();
    (rho * rr, rr * ((1.0 - rho) * (1.0 + rho)).sqrt())
}

#[test]
fn matches_brute_force_quadrature() {
    let cases = [
        (1.0, 1.0, 0.3),
        (1.0, 1.0, -0.7),
        (0.5, 2.0, 0.9),
        (2.0, 0.5, -0.95),
        (3.0, 3.0, 0.999),
        (0.2, 4.0, 0.0),
        (1.0, 1.0, 1.0),
        (1.0, 1.0, -1.0),
        (0.7, 1.3, 1.0),
        (9.0, 25.0, 0.5),
        (16.0, 20.0, -0.4),
        (0.01, 0.02, 0.4),
        (0.001, 0.5, -0.6),
    ];
    let (mut wt, mut wd) = (0.0f64, 0.0f64);
    for &(q1, q2, rho) in &cases {
        let (c, s) = cov(q1, q2, rho);
        let d = dual(q1, q2, c, s);
        let (t, td) = brute(q1, q2, rho);
        let scale = (dual(q1, q1, q1, 0.0).t * dual(q2, q2, q2, 0.0).t).sqrt();
        let (et, ed) = ((d.t - t).abs() / scale, (d.tdot - td).abs() / td);
        wt = wt.max(et);
        wd = wd.max(ed);
        if std::env::var("SELU_VERBOSE").is_ok() {
            continue;
        }
        assert!(
            et < 2e-15,
            "T({q1}, {q2}, {rho}) = {} vs brute force {t} (err {et:.1e})",
            d.t
        );
        assert!(
            ed < 2e-15,
            "Tdot({q1}, {q2}, {rho}) = {} vs brute force {td} (err {ed:.1e})",
            d.tdot
        );
    }
    println!(
        "selu dual vs brute-force 2-D quadrature: T {wt:.2e} (rel. to sqrt(T11 T22)), Tdot {wd:.2e}"
    );
}

/// (q1, q2, c, s, T, Tdot, s', sqrt(T11 T22)): 1-D adaptive quadrature (mpmath, 30 digits) of
/// E[phi(u) g(u)] with g(u) = E[phi(v) | u] in closed form (a Gaussian conditional), and
/// s' = sqrt(T11 T22 - T^2) formed in 30-digit arithmetic; s = sqrt(q1 q2 - c^2) exactly
/// rounded. Covers rho near +-1, tiny, huge and unequal variances.
pub(crate) type Reference = (f64, f64, f64, f64, f64, f64, f64, f64);
#[rustfmt::skip]
pub(crate) const REFERENCE: [Reference; 59] = [
(1.0, 1.0, -0.99, 0.1410673597966589, -0.9566767115228872, 0.9734620504434397, 0.2911523134542366, 0.9999999999999999),
(1.0, 1.0, -0.6, 0.8, -0.5789581645396283, 0.963386514058399, 0.8153572491324919, 0.9999999999999999),
(1.0, 1.0, 0.0, 1.0, 7.435737241988834e-34, 0.9706803523007101, 0.9999999999999999, 0.9999999999999999),
(1.0, 1.0, 0.3, 0.9539392014169457, 0.2928921722281284, 0.9828598343038024, 0.9561454781817922, 0.9999999999999999),
(1.0, 1.0, 0.7, 0.7141428428542851, 0.6909519422437181, 1.0102810626364143, 0.7229006940857322, 0.9999999999999999),
(1.0, 1.0, 0.95, 0.31224989991992, 0.9472756458575273, 1.0459077197364806, 0.32041980395288333, 0.9999999999999999),
(0.5, 2.0, -0.9, 0.43588989435406733, -0.8665766340891466, 0.9681734853671463, 0.49673906861766953, 0.9988517232504656),
(0.5, 2.0, 0.0, 1.0, -0.003712628633315761, 0.9612143599149808, 0.9988448234981526, 0.9988517232504656),
(0.5, 2.0, 0.8, 0.6, 0.7785231469590473, 1.003463070901716, 0.6257846871643682, 0.9988517232504656),
(3.0, 0.2, -0.6971370023173351, 0.33763886032268253, -0.7057263850335983, 1.0162281528893202, 0.3951591919700334, 0.8088266300827393),
(3.0, 0.2, 0.0, 0.7745966692414834, -0.009717981291487338, 0.9911275955454487, 0.8087682476275998, 0.8088266300827393),
(3.0, 0.2, 0.6196773353931867, 0.46475800154489005, 0.6075513114910385, 1.007149592031239, 0.5339306335438334, 0.8088266300827393),
(0.001, 0.002, -0.0012727922061357855, 0.0006164414002968977, -0.00227802267936674, 1.8263969196500285, 0.0016935170361217836, 0.0028385537302196575),
(0.001, 0.002, 0.0, 0.001414213562373095, 9.988609991325216e-05, 1.8996157251911088, 0.0028367957357532904, 0.0028385537302196575),
(0.001, 0.002, 0.001131370849898476, 0.000848528137423857, 0.002279779262378568, 1.9597662525650357, 0.0016911516177364355, 0.0028385537302196575),
(1e-06, 1e-06, -9e-07, 4.3588989435406735e-07, -1.6588032923396238e-06, 1.8816353444534395, 1.2795743376942957e-06, 2.0949794386491174e-06),
(1e-06, 1e-06, 0.0, 1e-06, 7.939535919002653e-08, 1.9703715093031597, 2.0934744386549498e-06, 2.0949794386491174e-06),
(1e-06, 1e-06, 8e-07, 6e-07, 1.682759103325607e-06, 2.0438283253447955, 1.2479024996117964e-06, 2.0949794386491174e-06),
(1e-12, 3e-12, -1.5588457268119895e-12, 7.549834435270751e-13, -2.8754202695529507e-12, 1.8831558110062763, 2.2202964651181063e-12, 3.632871883176163e-12),
(1e-12, 3e-12, 0.0, 1.7320508075688772e-12, 1.3794532933097038e-13, 1.9723371298110923, 3.6302519479627985e-12, 3.632871883176163e-12),
(1e-12, 3e-12, 1.3856406460551019e-12, 1.0392304845413263e-12, 2.918050352767231e-12, 2.0461892644183948, 2.1639640150166456e-12, 3.632871883176163e-12),
(1e-06, 1.0, -0.0009, 0.0004358898943540674, -0.0012641267633581752, 1.4219831839297608, 0.0007049560020389224, 0.0014474043797947818),
(1e-06, 1.0, 0.0, 0.001, -7.522575051635061e-21, 1.3829681524943636, 0.0014474043797947818, 0.0014474043797947818),
(1e-06, 1.0, 0.0008, 0.0006, 0.0010907885469980732, 1.3458487420331857, 0.0009513988566247855, 0.0014474043797947818),
(100.0, 50.0, -63.63961030678928, 30.822070014844876, -11.093455006222447, 0.1965967213101822, 38.87102521100638, 40.42302988309728),
(100.0, 50.0, 0.0, 70.71067811865476, 7.380541577206418, 0.37036583628343356, 39.743539738640585, 40.42302988309728),
(100.0, 50.0, 56.568542494923804, 42.426406871192846, 32.402656842359036, 0.5266522914539562, 24.167936910007423, 40.42302988309728),
(10000.0, 10000.0, -9000.0, 4358.898943540674, -86.8952279549046, 0.08684929904700855, 5520.705968955683, 5521.389786666418),
(10000.0, 10000.0, 0.0, 10000.0, 1684.6812073261933, 0.2834109963337041, 5258.097983680619, 5521.389786666418),
(10000.0, 10000.0, 8000.0, 6000.0, 4552.412024211657, 0.4462936776375015, 3124.3063131065373, 5521.389786666418),
(1000000.0, 400000.0, -569209.9788303083, 275680.97504180437, 2187.5527169164557, 0.08020160484187183, 349101.63173737645, 349108.4855293381),
(1000000.0, 400000.0, 0.0, 632455.5320336758, 110524.04910706208, 0.2769449904877317, 331151.2784779304, 349108.4855293381),
(1000000.0, 400000.0, 505964.42562694073, 379473.3192202055, 288634.4149284441, 0.439872401959174, 196384.5950870456, 349108.4855293381),
(1.0, 1.0, 0.9999995000000417, 0.0009999998333255103, 0.9999994642390989, 1.0714953376591212, 0.0010351432339793126, 0.9999999999999999),
(1.0, 1.0, 0.9999999999995, 1.0000444493031753e-06, 0.999999999999464, 1.0715749128091354, 1.03521505156845e-06, 0.9999999999999999),
(1.0, 1.0, 1.0, 0.0, 0.9999999999999999, 1.0715749924557991, 0.0, 0.9999999999999999),
(2.0, 2.0, 1.99999999, 0.0001999999991422529, 1.722508387753429, 0.9466812630156132, 0.0001805918593894042, 1.7225083972202682),
(1.0, 1.0001, 1.0000499937498124, 0.00010000500067050953, 1.0000391257426235, 1.0715573325055785, 0.00010437698833663166, 1.0000391311896883),
(1.3, 1.30000001, 1.3000000049999998, 2.3501403688490627e-08, 1.2278800972449753, 1.0219657436010634, 2.3128109887666566e-08, 1.2278800972449755),
(0.8, 1.1, 0.9380831519177818, 9.38083334407549e-06, 0.9502626067653615, 1.0827978985884996, 0.03978009783037289, 0.9510948838049199),
(0.05, 0.05, 0.04999999999999975, 4.998001405968786e-09, 0.0828957513936947, 1.6702453812054845, 8.317018128449074e-09, 0.08289575139369512),
(50.0, 50.0, 49.999999999975, 4.999689334752118e-05, 28.889355800942557, 0.6387496731333746, 3.0373322441200207e-05, 28.889355800958523),
(1.0, 1.0, 0.9987502603949663, 0.04997916927067761, 0.9986641442937304, 1.067567388740804, 0.051671335400499646, 0.9999999999999999),
(0.3, 0.31, 0.3048980238698432, 0.006098773668903668, 0.3890084145856974, 1.3165602947916213, 0.007996036867551768, 0.389090584856618),
(1.0, 1.0, -0.999999999, 4.4721358906412234e-05, -0.9663940473033387, 0.9663976095217994, 0.2570652550164493, 0.9999999999999999),
(0.5, 2.0, -0.999999, 0.0014142132088399936, -0.9635859801851522, 0.9636990509025776, 0.2630718985962661, 0.9988517232504656),
(1.0, 1.0001, 1.0000499987500624, 1.3708987864941814e-08, 1.0000391311006913, 1.0715652958422286, 1.3341692280434485e-05, 1.0000391311896883),
(0.49, 0.64, 0.56, 0.0, 0.6333206751774029, 1.1880364812712063, 0.019350897504673236, 0.6336162362514062),
(2.25, 1.0, 1.5, 0.0, 1.3657129423910936, 0.9888291731958684, 0.16044507166294214, 1.3751052548934082),
    // around the switch to the Price integral for s' (1 - C ~ 1/200) and beyond it with
    // large variances (graded panels)
(1.0, 1.0, 0.9959527330119943, 0.08987854919801082, 0.995682543954545, 1.0643339240276537, 0.09282387443004715, 0.9999999999999999),
(1.0, 1.0, 0.9939560979566968, 0.10977830083717512, 0.9935591305521929, 1.0627115138237762, 0.11331484499557061, 0.9999999999999999),
(4.0, 4.0, 3.995001041579865, 0.19991667708271044, 3.001835120349066, 0.8396156854104246, 0.15893129481307336, 3.006039461855425),
(4.0, 4.0, 3.9800166611121033, 0.39933366658731045, 2.9892913814311153, 0.8350771202865663, 0.31687581658073427, 3.006039461855425),
(25.0, 25.0, 24.875104131950643, 2.495835416170718, 14.908340043884861, 0.6639144705364111, 1.5789793146772737, 14.991723668086989),
(400.0, 400.0, 399.50010415798647, 19.991667708271894, 221.95828605371474, 0.5768884101954063, 11.339857860673796, 222.247774171538),
(10000.0, 10000.0, 9999.500004166654, 99.9983333415919, 5521.111083388237, 0.5569687361002055, 55.475951472728184, 5521.389786666418),
(20.0, 21.0, 20.48467996787826, 0.6147248275505796, 12.46468396344224, 0.683962415708578, 0.4042164755720607, 12.471236396910214),
(0.01, 0.01, 0.009950041652780258, 0.000998334166468276, 0.018662290581405738, 1.8709469027580494, 0.0018714298134628136, 0.018755888123241266),
(0.02, 0.5, 0.09987502603949662, 0.004997916927067948, 0.14103638803686686, 1.4256729025052577, 0.030332720077749575, 0.14426134845411917),
];

#[test]
fn matches_high_precision_references() {
    let (mut wt, mut wd, mut ws, mut ws_rel) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &(q1, q2, c, s, t, td, sn, sq) in &REFERENCE {
        let d = dual(q1, q2, c, s);
        let (et, ed, es) = (
            (d.t - t).abs() / sq,
            (d.tdot / td - 1.0).abs(),
            (d.s - sn).abs() / sq,
        );
        wt = wt.max(et);
        wd = wd.max(ed);
        ws = ws.max(es);
        if sn > 0.0 {
            ws_rel = ws_rel.max((d.s / sn - 1.0).abs());
        }
        // A4 = G_uv - G_u - G_v + P0 cancels up to ~8-fold as rho -> 1 (times alpha^2 = 2.8),
        // so the closed-form T carries up to ~5 ulps of sqrt(T11 T22) just before the Price
        // integral takes over (1 - C < 1/200); the plain formula for s' amplifies that error
        // dC of the new correlation C by sqrt(T11 T22)/s' = 1/sin(new angle) <= 10: hence
        // 1e-14 for s', not ~1e-15.
        assert!(
            et < 2e-15,
            "T({q1}, {q2}, {c}, {s}) = {:e} vs {t:e}: {et:.1e}",
            d.t
        );
        assert!(
            ed < 2e-15,
            "Tdot({q1}, {q2}, {c}, {s}) = {:e} vs {td:e}: {ed:.1e}",
            d.tdot
        );
        assert!(
            es < 1e-14,
            "s'({q1}, {q2}, {c}, {s}) = {:e} vs {sn:e}: {es:.1e}",
            d.s
        );
        // where s' << sqrt(T11 T22) (near-duplicates, where a plain sqrt(T11 T22 - T^2) would
        // keep only half the digits) it is also relatively accurate
        if sn > 0.0 && sn < 1e-2 * sq {
            assert!(
                (d.s / sn - 1.0).abs() < 4e-15,
                "s'({q1}, {q2}, {c}, {s}) = {:e} vs {sn:e}",
                d.s
            );
        }
    }
    println!(
        "selu vs 30-digit references: T {wt:.1e}, Tdot {wd:.1e}, s' {ws:.1e} (rel. to sqrt(T11 T22)); s' relative {ws_rel:.1e}"
    );
}

/// Rough ns per call against the ReLU dual (run with `--ignored --nocapture` in release).
#[test]
#[ignore]
fn timing_ns_per_call() {
    use std::hint::black_box;
    use std::time::Instant;
    let n = 100_000;
    let bench = |label: &str, equal: bool, rho: f64| {
        let inputs: Vec<(f64, f64, f64, f64)> = (0..n)
            .map(|i| {
                let q1 = 0.5 + 2.5 * (i as f64 / n as f64);
                let q2 = if equal {
                    q1
                } else {
                    1.0 + 0.3 * (i % 7) as f64
                };
                let (c, s) = cov(q1, q2, rho);
                (q1, q2, c, s)
            })
            .collect();
        let time = |f: &dyn Fn(f64, f64, f64, f64) -> Dual| {
            let t0 = Instant::now();
            let mut acc = 0.0;
            for &(q1, q2, c, s) in &inputs {
                let d = f(black_box(q1), q2, c, s);
                acc += d.t + d.tdot + d.s;
            }
            black_box(acc);
            t0.elapsed().as_nanos() as f64 / n as f64
        };
        let relu = time(&|q1, q2, c, s| crate::activation::relu::dual(q1, q2, c, s));
        let selu = time(&|q1, q2, c, s| dual(q1, q2, c, s));
        println!(
            "{label:>28}: selu {selu:7.1} ns, relu {relu:5.1} ns, ratio {:5.1}",
            selu / relu
        );
    };
    for &rho in &[0.0, 0.3, 0.6, 0.9, 0.95, 0.999, -0.5, -0.95] {
        bench(&format!("rho {rho}, q1 != q2"), false, rho);
    }
    for &rho in &[0.0, 0.6, 0.9] {
        bench(&format!("rho {rho}, q1 == q2"), true, rho);
    }
}

#[test]
fn price_theorem_dt_dc_equals_tdot() {
    let cases: [(f64, f64, f64); 5] = [
        (1.0, 1.0, 0.3),
        (0.5, 2.0, -0.8),
        (4.0, 9.0, 0.9),
        (0.03, 0.02, 0.5),
        (30.0, 1.0, -0.2),
    ];
    for &(q1, q2, rho) in &cases {
        let rr = (q1 * q2).sqrt();
        let c = rho * rr;
        let h = 1e-5 * rr;
        let t = |c: f64| dual(q1, q2, c, (rr * rr - c * c).sqrt()).t;
        let fd = (t(c + h) - t(c - h)) / (2.0 * h);
        let td = dual(q1, q2, c, (rr * rr - c * c).sqrt()).tdot;
        assert!(
            (fd / td - 1.0).abs() < 1e-7,
            "{q1} {q2} {rho}: dT/dc = {fd}, Tdot = {td}"
        );
    }
}

#[test]
fn monte_carlo_agrees_within_five_standard_errors() {
    let n = 1_000_000;
    let cases: [(f64, f64, f64); 3] = [(1.0, 1.0, 0.6), (0.5, 3.0, -0.5), (2.0, 0.3, 0.95)];
    for (case, &(q1, q2, rho)) in cases.iter().enumerate() {
        let mut rng = Rng::stream(20240611, &[case as u64]);
        let (a, b) = (q1.sqrt(), q2.sqrt());
        let r = ((1.0 - rho) * (1.0 + rho)).sqrt();
        let (mut st, mut st2, mut sd, mut sd2) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..n {
            let (x, z) = (rng.normal(), rng.normal());
            let (u, v) = (a * x, b * (rho * x + r * z));
            let (ft, fd) = (phi(u) * phi(v), dphi(u) * dphi(v));
            st += ft;
            st2 += ft * ft;
            sd += fd;
            sd2 += fd * fd;
        }
        let nf = n as f64;
        let (mt, md) = (st / nf, sd / nf);
        let (set, sed) = (
            ((st2 / nf - mt * mt) / nf).sqrt(),
            ((sd2 / nf - md * md) / nf).sqrt(),
        );
        let (c, s) = cov(q1, q2, rho);
        let d = dual(q1, q2, c, s);
        assert!(
            (d.t - mt).abs() < 5.0 * set,
            "T {} vs MC {mt} +- {set}",
            d.t
        );
        assert!(
            (d.tdot - md).abs() < 5.0 * sed,
            "Tdot {} vs MC {md} +- {sed}",
            d.tdot
        );
    }
}

#[test]
fn self_normalising_fixed_point() {
    // with the standard constants q = 1 is a fixed point of the variance map and E[selu(u)] = 0
    let d = dual(1.0, 1.0, 1.0, 0.0);
    assert!((d.t - 1.0).abs() < 1e-15, "{}", d.t);
    assert!(mean_phi(1.0).abs() < 1e-15, "{}", mean_phi(1.0));
    // hence orthogonal unit-variance inputs stay uncorrelated
    assert!(dual(1.0, 1.0, 0.0, 1.0).t.abs() < 1e-15);
}

#[test]
fn duplicates_are_exact() {
    for &q in &[1e-12, 1e-3, 0.4, 1.0, 2.7, 1e3, 1e6] {
        let d = dual(q, q, q, 0.0);
        assert_eq!(d.s, 0.0);
        assert_eq!(d.t, t_one(q.sqrt(), q.sqrt()));
        assert!(d.t > 0.0 && d.tdot > 0.0);
    }
}

#[test]
fn zero_and_extreme_variances_are_finite() {
    let d0 = LAMBDA * ALPHA;
    let d = dual(0.0, 1.0, 0.0, 0.0);
    assert_eq!(d.t, 0.0);
    assert_eq!(d.s, 0.0);
    assert!((d.tdot / (d0 * LAMBDA * (0.5 + ALPHA * mills(1.0))) - 1.0).abs() < 1e-15);
    assert_eq!(
        dual(0.0, 0.0, 0.0, 0.0),
        Dual {
            t: 0.0,
            tdot: d0 * d0,
            s: 0.0
        }
    );
    assert_eq!(dual(2.0, 0.0, 0.0, 0.0).tdot, dual(0.0, 2.0, 0.0, 0.0).tdot);
    let qs = [1e-12, 1e-7, 1e-3, 0.1, 1.0, 7.0, 1e2, 1e4, 1e6];
    let rhos = [
        -1.0,
        -0.999_999_9,
        -0.9,
        -0.3,
        0.0,
        0.4,
        0.93,
        0.999_999_9,
        1.0,
    ];
    for &q1 in &qs {
        for &q2 in &qs {
            for &rho in &rhos {
                let (c, s) = cov(q1, q2, rho);
                let d = dual(q1, q2, c, s);
                assert!(
                    d.t.is_finite() && d.tdot.is_finite() && d.s.is_finite(),
                    "{q1} {q2} {rho}: {d:?}"
                );
                assert!(d.tdot > 0.0 && d.s >= 0.0, "{q1} {q2} {rho}: {d:?}");
                let (t11, t22) = (dual(q1, q1, q1, 0.0).t, dual(q2, q2, q2, 0.0).t);
                let sq = t11.sqrt() * t22.sqrt();
                assert!(
                    d.t.abs() <= sq * (1.0 + 1e-14),
                    "{q1} {q2} {rho}: |T| > sqrt(T11 T22)"
                );
                // symmetric in the two inputs
                let e = dual(q2, q1, c, s);
                assert!((d.t - e.t).abs() <= 1e-15 * sq, "{q1} {q2} {rho}");
                assert!((d.tdot - e.tdot).abs() <= 1e-15 * d.tdot);
                // s' = sqrt(T11 T22 (1 - C^2)) has sensitivity sq^2 |dC| / s' to rounding of C
                // (C -> -1 happens for very unequal variances at rho = -1)
                let tol_s = 1e-15 * sq * (0.5 * sq / d.s.max(f64::MIN_POSITIVE)).max(1.0);
                assert!(
                    (d.s - e.s).abs() <= tol_s,
                    "{q1} {q2} {rho}: s {} vs {} (scale {sq})",
                    d.s,
                    e.s
                );
            }
        }
    }
    // T grows like lam^2 q/2 for large q
    let q = 1e6;
    let t = dual(q, q, q, 0.0).t;
    assert!((t / (L2 * q / 2.0) - 1.0).abs() < 1e-2);
}

#[test]
fn sine_part_near_one_matches_first_order() {
    // equal variances, small angle theta: T11 - T = int_0^theta Tdot R sin ~ Tdot(R) R theta^2/2,
    // so s' ~ theta sqrt(T11 Tdot(R) R) (1 + O(theta))
    for &q in &[0.05, 1.0, 3.0, 40.0] {
        let t11 = dual(q, q, q, 0.0).t;
        let tdot1 = dual(q, q, q, 0.0).tdot;
        for &th in &[1e-9f64, 1e-7] {
            let d = dual(q, q, q * th.cos(), q * th.sin());
            let lin = th * (t11 * tdot1 * q).sqrt();
            assert!(
                (d.s / lin - 1.0).abs() < 1e-5 * (th / 1e-7).max(1.0),
                "{q} {th}: {} vs {lin}",
                d.s
            );
            // and it is far more accurate than the naive formula's sqrt(eps) ~ 1e-8 * T11
            assert!(d.s > 0.0);
        }
    }
}
