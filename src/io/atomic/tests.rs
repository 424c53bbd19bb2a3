//! Tests of the temporary-file registry and transactions: registration until commit or
//! drop, withdrawal after a failed rename, permissions of a new file, duplicate targets.

use super::*;

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ntk-atomic-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn entries(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn temporaries_are_registered_until_commit_or_drop() {
    let d = scratch("reg");
    let mut t = Transaction::new();
    t.stage(&d.join("a.npy")).unwrap();
    let listed = entries(&d);
    assert_eq!(listed.len(), 1);
    assert!(listed[0].starts_with(".a.npy.tmp-"), "{listed:?}");
    assert!(temps().iter().any(|p| p.starts_with(&d)));
    drop(t);
    assert!(entries(&d).is_empty());
    assert!(!temps().iter().any(|p| p.starts_with(&d)));
    let mut t = Transaction::new();
    t.write(&d.join("b.txt"), |w| w.write_all(b"b")).unwrap();
    t.commit().unwrap();
    assert_eq!(entries(&d), vec!["b.txt".to_string()]);
    assert!(!temps().iter().any(|p| p.starts_with(&d)));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_failed_rename_withdraws_the_published_outputs() {
    let d = scratch("fail");
    let mut t = Transaction::new();
    t.write(&d.join("a.txt"), |w| w.write_all(b"a")).unwrap();
    t.write(&d.join("sub").join("b.txt"), |w| w.write_all(b"b"))
        .unwrap_err(); // no such directory: fails at staging
    // b's directory appears and vanishes under us: stage, then remove the directory
    let sub = d.join("sub");
    std::fs::create_dir(&sub).unwrap();
    t.write(&sub.join("b.txt"), |w| w.write_all(b"b")).unwrap();
    // an output staged after the failing one (its removal must not deadlock)
    t.write(&d.join("c.txt"), |w| w.write_all(b"c")).unwrap();
    for e in std::fs::read_dir(&sub).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    std::fs::remove_dir(&sub).unwrap();
    assert!(t.commit().is_err());
    assert!(!temps().iter().any(|p| p.starts_with(&d)));
    assert!(entries(&d).is_empty(), "{:?}", entries(&d));
    std::fs::remove_dir_all(&d).unwrap();
}

#[cfg(unix)]
#[test]
fn outputs_get_the_permissions_of_a_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let d = scratch("mode");
    write_atomic(&d.join("a.txt"), |w| w.write_all(b"a")).unwrap();
    std::fs::write(d.join("b.txt"), b"b").unwrap();
    let mode = |n: &str| std::fs::metadata(d.join(n)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("a.txt"), mode("b.txt"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_same_target_twice_is_a_usage_error() {
    let d = scratch("dup");
    let mut t = Transaction::new();
    t.stage(&d.join("k.npy")).unwrap();
    let e = t.stage(&d.join(".").join("k.npy")).unwrap_err();
    assert!(e.is_usage() && e.to_string().contains("two outputs"), "{e}");
    drop(t);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn foreign_temporaries_are_registered_once_and_taken_off() {
    // (not removed here: remove_temporaries would also remove other tests' files)
    let (a, b) = (
        PathBuf::from("/nonexistent/.a.tmp-x"),
        PathBuf::from("/nonexistent/.b.tmp-y"),
    );
    let count = |p: &PathBuf| temps().iter().filter(|q| *q == p).count();
    register_temporaries(&[a.clone(), a.clone(), b.clone()]);
    assert_eq!((count(&a), count(&b)), (1, 1));
    unregister_temporaries(std::slice::from_ref(&a));
    assert_eq!((count(&a), count(&b)), (0, 1));
    unregister_temporaries(&[a.clone(), b.clone()]);
    assert_eq!((count(&a), count(&b)), (0, 0));
}
