//! The web UI's folder is read by `rust-embed` when this crate compiles: rebuild when it moves
//! (another checkout sharing the build cache), and in release builds, which carry the files,
//! when its contents change.

fn main() {
    println!("cargo:rerun-if-env-changed=AEGIS_WEB_DIST");
    if std::env::var("PROFILE").as_deref() == Ok("release")
        && let Ok(dist) = std::env::var("AEGIS_WEB_DIST")
    {
        println!("cargo:rerun-if-changed={dist}");
    }
}
