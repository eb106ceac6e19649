//! Wiring between the source and the sinks: the streaming loop, acknowledgements and the
//! confirmed LSN, progress.

pub mod checkpoint;
pub mod progress;
pub mod run;
