//! Reading telemetry: Windows EVTX, JSON lines (or one JSON document, a JSON array, an
//! Elasticsearch response or a Splunk export), plain, gzipped or zipped, within bounds. Events
//! are handed to a sink one by one, so evaluating a large capture never holds it in memory.

use std::io::{BufRead, BufReader, Read, Seek};

use serde_json::Value;

use super::event::Event;
use super::normalize::event_from_document;

/// Limits on what one telemetry input reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelemetryLimits {
    /// Every entry together, decompressed.
    pub max_total_bytes: u64,
    /// The longest JSON line.
    pub max_line_bytes: u64,
    /// The largest EVTX file (it is parsed from memory: the format needs to seek).
    pub max_evtx_bytes: u64,
    pub max_events: usize,
    /// Entries of a zip archive.
    pub max_entries: usize,
}

impl Default for TelemetryLimits {
    fn default() -> Self {
        Self {
            max_total_bytes: 2 * 1024 * 1024 * 1024,
            max_line_bytes: 16 * 1024 * 1024,
            max_evtx_bytes: 512 * 1024 * 1024,
            max_events: 20_000_000,
            max_entries: 10_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("cannot read the telemetry: {0}")]
    Unreadable(String),
    #[error("the telemetry is larger than {0} bytes once decompressed")]
    TooLarge(u64),
    #[error("the telemetry holds more than {0} events")]
    TooManyEvents(usize),
    #[error("the archive holds more than {0} entries")]
    TooManyEntries(usize),
    #[error("{entry}: not telemetry Aegis reads: {reason}")]
    Malformed { entry: String, reason: String },
    #[error(
        "{0}: EVTX support is not built into this binary (the `evtx` feature); export the log as JSON lines"
    )]
    EvtxUnavailable(String),
}

/// What reading found besides the events.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReadSummary {
    pub events: usize,
    /// Lines or records that were not events, with the first few reasons.
    pub skipped: usize,
    pub skipped_reasons: Vec<String>,
    pub bytes: u64,
}

impl ReadSummary {
    fn skip(&mut self, reason: String) {
        self.skipped += 1;
        if self.skipped_reasons.len() < 10 {
            self.skipped_reasons.push(reason);
        }
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const EVTX_MAGIC: &[u8] = b"ElfFile\0";

struct Reading<'a> {
    limits: TelemetryLimits,
    summary: ReadSummary,
    sink: &'a mut dyn FnMut(Event),
}

impl Reading<'_> {
    fn emit(&mut self, event: Event) -> Result<(), TelemetryError> {
        if self.summary.events >= self.limits.max_events {
            return Err(TelemetryError::TooManyEvents(self.limits.max_events));
        }
        self.summary.events += 1;
        (self.sink)(event);
        Ok(())
    }

    fn document(&mut self, value: Value, entry: &str) -> Result<(), TelemetryError> {
        match value {
            Value::Array(items) => {
                for item in items {
                    self.document(item, entry)?;
                }
            }
            Value::Object(mut object) => {
                // An Elasticsearch search response: the hits' sources are the events.
                if let Some(Value::Array(hits)) = object
                    .get_mut("hits")
                    .and_then(|h| h.get_mut("hits"))
                    .map(Value::take)
                {
                    for hit in hits {
                        self.document(hit, entry)?;
                    }
                    return Ok(());
                }
                let value = Value::Object(object);
                match event_from_document(self.summary.events, &value) {
                    Some(event) => self.emit(event)?,
                    None => self.summary.skip(format!("{entry}: an empty document")),
                }
            }
            _ => self
                .summary
                .skip(format!("{entry}: a JSON value that is not an event")),
        }
        Ok(())
    }
}

/// Counts what passes through and refuses more than the total.
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(std::io::Error::other(TOO_LARGE));
        }
        Ok(n)
    }
}

const TOO_LARGE: &str = "the telemetry exceeds its size limit";

fn io_error(error: &std::io::Error, limit: u64) -> TelemetryError {
    if error.to_string() == TOO_LARGE {
        TelemetryError::TooLarge(limit)
    } else {
        TelemetryError::Unreadable(error.to_string())
    }
}

/// Reads every event of a telemetry input (its format told by its first bytes) into `sink`.
///
/// # Errors
/// An input that cannot be read, is over a limit, or is not a format Aegis reads.
pub fn read_events<R: Read + Seek>(
    mut input: R,
    name: &str,
    limits: TelemetryLimits,
    sink: &mut dyn FnMut(Event),
) -> Result<ReadSummary, TelemetryError> {
    let mut head = [0u8; 8];
    let filled =
        fill(&mut input, &mut head).map_err(|e| TelemetryError::Unreadable(e.to_string()))?;
    input
        .rewind()
        .map_err(|e| TelemetryError::Unreadable(e.to_string()))?;
    let mut reading = Reading {
        limits,
        summary: ReadSummary::default(),
        sink,
    };
    if head[..filled].starts_with(ZIP_MAGIC) {
        read_zip(input, &mut reading)?;
    } else {
        let mut bounded = Bounded {
            inner: input,
            read: 0,
            limit: limits.max_total_bytes,
        };
        read_stream(&mut bounded, name, &mut reading)?;
        reading.summary.bytes = bounded.read;
    }
    Ok(reading.summary)
}

fn fill(input: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let n = input.read(&mut buffer[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

fn read_zip<R: Read + Seek>(input: R, reading: &mut Reading<'_>) -> Result<(), TelemetryError> {
    let limits = reading.limits;
    let mut archive =
        zip::ZipArchive::new(input).map_err(|e| TelemetryError::Unreadable(e.to_string()))?;
    if archive.len() > limits.max_entries {
        return Err(TelemetryError::TooManyEntries(limits.max_entries));
    }
    let mut total = 0u64;
    for index in 0..archive.len() {
        let entry = archive
            .by_index(index)
            .map_err(|e| TelemetryError::Unreadable(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_else(|_| format!("entry {}", index + 1));
        // Metadata next to the data (a README, a dataset's YAML, macOS's resource forks under
        // `__MACOSX/` and `._` files) is not telemetry.
        let lower = name.to_lowercase();
        let base = lower.rsplit('/').next().unwrap_or_default();
        if lower.starts_with("__macosx/")
            || base.starts_with("._")
            || lower.ends_with(".md")
            || lower.ends_with(".yaml")
            || lower.ends_with(".yml")
            || lower.ends_with(".txt")
        {
            continue;
        }
        let mut bounded = Bounded {
            inner: entry,
            read: 0,
            limit: limits.max_total_bytes.saturating_sub(total),
        };
        let result = read_stream(&mut bounded, &name, reading);
        total += bounded.read;
        if let Err(TelemetryError::TooLarge(_)) = result {
            return Err(TelemetryError::TooLarge(limits.max_total_bytes));
        }
        result?;
    }
    reading.summary.bytes = total;
    Ok(())
}

/// One stream (a file, a zip entry, a gzip member): gzip, EVTX or JSON.
fn read_stream(
    input: &mut dyn Read,
    name: &str,
    reading: &mut Reading<'_>,
) -> Result<(), TelemetryError> {
    let limit = reading.limits.max_total_bytes;
    let mut buffered = BufReader::with_capacity(64 * 1024, input);
    let head = buffered
        .fill_buf()
        .map_err(|e| io_error(&e, limit))?
        .to_vec();
    if head.starts_with(GZIP_MAGIC) {
        // Bounded again once inflated: a gzip bomb stops at the total.
        let mut inflated = Bounded {
            inner: flate2::bufread::MultiGzDecoder::new(buffered),
            read: 0,
            limit,
        };
        let inner_name = name.strip_suffix(".gz").unwrap_or(name).to_owned();
        return read_stream(&mut inflated, &inner_name, reading);
    }
    if head.starts_with(EVTX_MAGIC) {
        return read_evtx(&mut buffered, name, reading);
    }
    read_json(buffered, name, reading)
}

fn read_json(
    mut input: impl BufRead,
    name: &str,
    reading: &mut Reading<'_>,
) -> Result<(), TelemetryError> {
    let limit = reading.limits.max_total_bytes;
    let max_line = reading.limits.max_line_bytes;
    let mut line = Vec::new();
    let mut number = 0usize;
    let mut first = true;
    loop {
        line.clear();
        let read = (&mut input)
            .take(max_line + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| io_error(&e, limit))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        if read as u64 > max_line {
            return Err(TelemetryError::Malformed {
                entry: name.to_owned(),
                reason: format!("line {number} is longer than {max_line} bytes"),
            });
        }
        let text = trim_ascii(&line);
        if text.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(text) {
            Ok(value) => reading.document(value, name)?,
            // Not JSON lines: one JSON document over many lines (a pretty array, a response).
            Err(_) if first => {
                let rest = std::io::Cursor::new(line.clone()).chain(input);
                return read_json_documents(rest, name, reading);
            }
            Err(error) => reading
                .summary
                .skip(format!("{name}: line {number}: {error}")),
        }
        first = false;
    }
}

fn read_json_documents(
    input: impl Read,
    name: &str,
    reading: &mut Reading<'_>,
) -> Result<(), TelemetryError> {
    let limit = reading.limits.max_total_bytes;
    for value in serde_json::Deserializer::from_reader(input).into_iter::<Value>() {
        let value = value.map_err(|e| match e.io_error_kind() {
            Some(_) if e.to_string().contains(TOO_LARGE) => TelemetryError::TooLarge(limit),
            _ => TelemetryError::Malformed {
                entry: name.to_owned(),
                reason: format!("neither JSON lines nor a JSON document: {e}"),
            },
        })?;
        reading.document(value, name)?;
    }
    Ok(())
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    bytes.trim_ascii()
}

#[cfg(feature = "evtx")]
fn read_evtx(
    input: &mut dyn Read,
    name: &str,
    reading: &mut Reading<'_>,
) -> Result<(), TelemetryError> {
    let max = reading.limits.max_evtx_bytes;
    let mut bytes = Vec::new();
    input
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&e, reading.limits.max_total_bytes))?;
    if bytes.len() as u64 > max {
        return Err(TelemetryError::TooLarge(max));
    }
    let mut parser =
        evtx::EvtxParser::from_buffer(bytes).map_err(|e| TelemetryError::Malformed {
            entry: name.to_owned(),
            reason: e.to_string(),
        })?;
    for record in parser.records_json_value() {
        match record {
            Ok(record) => match event_from_document(reading.summary.events, &record.data) {
                Some(mut event) => {
                    if event.record_id.is_none() {
                        event.record_id = Some(record.event_record_id.to_string());
                    }
                    reading.emit(event)?;
                }
                None => reading
                    .summary
                    .skip(format!("{name}: a record without a System section")),
            },
            Err(error) => reading.summary.skip(format!("{name}: {error}")),
        }
    }
    Ok(())
}

#[cfg(not(feature = "evtx"))]
fn read_evtx(_: &mut dyn Read, name: &str, _: &mut Reading<'_>) -> Result<(), TelemetryError> {
    Err(TelemetryError::EvtxUnavailable(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    fn read(
        bytes: Vec<u8>,
        limits: TelemetryLimits,
    ) -> Result<(ReadSummary, Vec<Event>), TelemetryError> {
        let mut events = Vec::new();
        let summary = read_events(Cursor::new(bytes), "input", limits, &mut |e| events.push(e))?;
        Ok((summary, events))
    }

    const LINES: &str = "{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Image\":\"a.exe\"}\n\
                         not json\n\n{\"EventID\":4688,\"Channel\":\"Security\"}\n";

    #[test]
    fn json_lines_keep_their_events_and_skip_a_bad_line() {
        let (summary, events) =
            read(LINES.as_bytes().to_vec(), TelemetryLimits::default()).unwrap_or_default();
        assert_eq!(summary.events, 2);
        assert_eq!(summary.skipped, 1);
        assert_eq!(events[1].event_id(), Some(4688));
    }

    #[test]
    fn a_pretty_array_and_an_elasticsearch_response_are_read_whole() {
        let array = "[\n {\"EventID\": 1},\n {\"EventID\": 2}\n]\n";
        let (summary, _) =
            read(array.as_bytes().to_vec(), TelemetryLimits::default()).unwrap_or_default();
        assert_eq!(summary.events, 2);
        let response = "{\"hits\": {\"total\": 1,\n \"hits\": [{\"_id\": \"x\", \"_source\": {\"winlog\": {\"event_id\": 7}}}]}}";
        let (summary, events) =
            read(response.as_bytes().to_vec(), TelemetryLimits::default()).unwrap_or_default();
        assert_eq!(summary.events, 1);
        assert_eq!(events[0].event_id(), Some(7));
    }

    #[test]
    fn gzip_and_zip_are_opened() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = gz.write_all(LINES.as_bytes());
        let gz = gz.finish().unwrap_or_default();
        let (summary, _) = read(gz.clone(), TelemetryLimits::default()).unwrap_or_default();
        assert_eq!(summary.events, 2);

        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        let _ = zip.start_file("a.json", options);
        let _ = zip.write_all(LINES.as_bytes());
        let _ = zip.start_file("b.json.gz", options);
        let _ = zip.write_all(&gz);
        let _ = zip.start_file("README.md", options);
        let _ = zip.write_all(b"# not events");
        let _ = zip.start_file("__MACOSX/._a.json", options);
        let _ = zip.write_all(b"\x00\x05\x16\x07 resource fork");
        let zip = zip.finish().map(Cursor::into_inner).unwrap_or_default();
        let (summary, _) = read(zip, TelemetryLimits::default()).unwrap_or_default();
        assert_eq!(summary.events, 4);
    }

    #[test]
    fn limits_are_enforced() {
        let small = TelemetryLimits {
            max_total_bytes: 50,
            ..TelemetryLimits::default()
        };
        assert!(matches!(
            read(LINES.as_bytes().to_vec(), small),
            Err(TelemetryError::TooLarge(50))
        ));
        let few = TelemetryLimits {
            max_events: 1,
            ..TelemetryLimits::default()
        };
        assert!(matches!(
            read(LINES.as_bytes().to_vec(), few),
            Err(TelemetryError::TooManyEvents(1))
        ));
        // A gzip bomb stops at the total, decompressed.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = gz.write_all(&vec![b' '; 1_000_000]);
        let gz = gz.finish().unwrap_or_default();
        let bounded = TelemetryLimits {
            max_total_bytes: 10_000,
            ..TelemetryLimits::default()
        };
        assert!(matches!(
            read(gz, bounded),
            Err(TelemetryError::TooLarge(_))
        ));
    }

    #[test]
    fn garbage_is_refused_with_its_reason() {
        let result = read(b"\x00\x01binary".to_vec(), TelemetryLimits::default());
        assert!(
            matches!(result, Err(TelemetryError::Malformed { .. })),
            "{result:?}"
        );
    }
}
