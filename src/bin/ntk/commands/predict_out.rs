//! `ntk predict`'s outputs: the JSON report and the optional `.npy` predictions
//! (`(points, n, outputs)`, the --times in order, then the --steps), published together
//! (one transaction: all files or none), and the summary on stderr.

use super::predict::Args;
use anyhow::Context;
use faer::{Mat, MatRef};
use ntk::jobs::iterative::IterativeOutput;
use std::time::Instant;

/// Nested `points x rows x cols` values as matrices.
pub fn to_mats(v: &[Vec<Vec<f64>>]) -> Vec<Mat<f64>> {
    v.iter()
        .map(|rows| {
            let c = rows.first().map_or(0, Vec::len);
            Mat::from_fn(rows.len(), c, |i, j| rows[i][j])
        })
        .collect()
}

fn add_meta(json: &mut serde_json::Value, start: Instant) {
    if let Some(obj) = json.as_object_mut() {
        obj.insert(
            "command".into(),
            serde_json::Value::String(crate::common::command_line()),
        );
        obj.insert(
            "version".into(),
            serde_json::Value::String(ntk::VERSION.into()),
        );
        obj.insert(
            "seconds".into(),
            serde_json::json!(start.elapsed().as_secs_f64()),
        );
    }
}

fn refs(m: &[Mat<f64>]) -> Vec<MatRef<'_, f64>> {
    m.iter().map(|m| m.as_ref()).collect()
}

/// Stage and publish the JSON and the requested `.npy` predictions together.
pub fn publish(
    args: &Args,
    json: &serde_json::Value,
    fx_train: &[Mat<f64>],
    fx_test: Option<&[Mat<f64>]>,
) -> anyhow::Result<()> {
    ntk::io::cleanup_on_signal()?;
    let mut tx = ntk::io::Transaction::new();
    if let Some(p) = &args.fx_train_out {
        tx.write(p, |w| ntk::io::npy::encode_stack(w, &refs(fx_train)))
            .context("--fx-train-out")?;
    }
    if let Some(p) = &args.fx_test_out {
        let f = fx_test.ok_or_else(|| {
            crate::common::usage("--fx-test-out needs a test set (--x-test or --dataset)")
        })?;
        tx.write(p, |w| ntk::io::npy::encode_stack(w, &refs(f)))
            .context("--fx-test-out")?;
    }
    tx.write_json(&args.out, json)
        .with_context(|| format!("writing {}", args.out.display()))?;
    tx.commit().context("publishing the outputs")?;
    Ok(())
}

fn pct(v: &Option<Vec<f64>>, i: usize) -> String {
    v.as_ref()
        .and_then(|a| a.get(i))
        .map_or("-".into(), |a| format!("{:.2}%", 100.0 * a))
}

/// Write an iterative prediction's outputs and print its summary.
pub fn write_iterative(args: &Args, out: &IterativeOutput, start: Instant) -> anyhow::Result<()> {
    let rep = &out.report;
    let mut json = serde_json::to_value(rep).context("serialising the report")?;
    add_meta(&mut json, start);
    publish(args, &json, &out.fx_train, out.fx_test.as_deref())?;
    if args.quiet {
        return Ok(());
    }
    eprintln!("solver: iterative ({})", rep.solver_reason);
    for w in &rep.warnings {
        eprintln!("warning: {w}");
    }
    let s = &rep.diagnostics.spectrum;
    eprintln!(
        "{} kernel n = {} ({} storage, {:.2} GB of {:.2} GB planned): lambda_max {:.4e}, lambda_min <= {:.3e}; max stable lr = {}",
        rep.kernel.name(),
        rep.n_train,
        rep.memory.precision.name(),
        rep.memory.storage_bytes / 1e9,
        rep.memory.total_bytes / 1e9,
        s.lambda_max,
        s.lambda_min_estimate,
        rep.max_learning_rate
            .map_or("unbounded".to_string(), |m| format!("{m:.6}"))
    );
    for (i, p) in rep.points.iter().enumerate() {
        eprintln!(
            "  {} {:>8}: train loss {:.4e}{}, accuracy train {} test {}, error estimate {:.1e} ({:?})",
            if matches!(p, ntk::dynamics::Point::Steps(_)) {
                "step"
            } else {
                "t ="
            },
            p.to_string(),
            rep.loss_train[i],
            rep.loss_test
                .as_ref()
                .map_or(String::new(), |l| format!(", test loss {:.4e}", l[i])),
            pct(&rep.accuracy_train, i),
            pct(&rep.accuracy_test, i),
            rep.error_estimate[i],
            rep.methods[i],
        );
    }
    let times: Vec<String> = rep
        .stages
        .iter()
        .map(|s| format!("{} {:.1} s", s.stage, s.seconds))
        .collect();
    eprintln!(
        "wrote {} in {:.1} s ({})",
        args.out.display(),
        start.elapsed().as_secs_f64(),
        times.join(", ")
    );
    Ok(())
}
