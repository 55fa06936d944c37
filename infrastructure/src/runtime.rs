//! Background work on the Tokio runtime the server runs on.

use aegis_application::ports::{BackgroundTask, TaskSpawner};

#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSpawner;

impl TaskSpawner for TokioSpawner {
    fn spawn(&self, task: BackgroundTask) {
        tokio::spawn(task);
    }
}
