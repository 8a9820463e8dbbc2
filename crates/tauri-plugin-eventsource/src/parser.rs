//! Incremental `text/event-stream` parser (WHATWG HTML §9.2.6 "Interpreting an event stream").
//!
//! Bytes go in as they arrive from the network, in chunks of any size; events, `retry:` values,
//! comments and errors come out through a callback. The parser works on bytes until a line is
//! complete, so code points and CRLF pairs split across chunks need no special care, and each
//! byte is scanned once (`memchr`), so a large event arriving in tiny chunks stays linear.
//! Memory is bounded by `max_event_size`.

use bytes::Bytes;
use serde::Serialize;

pub use crate::text::Text;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// 8 MiB: multi-MiB events are real (base64 images from image-generation APIs, whole JSON
/// documents) and browsers' own EventSource takes them, yet a server cannot grow memory without
/// bound. The TS package's `DEFAULT_MAX_EVENT_SIZE` is the same number (in UTF-16 code units).
pub const DEFAULT_MAX_EVENT_SIZE: usize = 8 << 20;

/// One dispatched event, shaped like `eventsource-parser`'s `ParsedEvent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The `event:` field; absent when the block had none (the type is then `message`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    pub data: Text,
    /// The last event ID buffer at dispatch; absent if it was never set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl Event {
    /// The DOM event type: the `event:` field, or `message`.
    pub fn event_type(&self) -> &str {
        self.event.as_deref().unwrap_or("message")
    }
}

/// What the parser reports while reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Event(Event),
    /// A `retry:` field made of ASCII digits: the new reconnection time in ms.
    Retry(u64),
    /// A line starting with `:` (one leading space stripped, like field values).
    Comment(String),
    /// A block exceeded `max_event_size` and is being discarded up to the next blank line.
    EventTooLarge {
        max_event_size: usize,
    },
}

#[derive(Debug)]
pub struct Parser {
    max_event_size: usize,
    /// The shortest `data:` line `feed_bytes` shares: `SHARE_MIN`, or less in tests.
    share_min: usize,
    /// Bytes of the current, not yet terminated line; of a `data:` line, its value only (see
    /// `line_prefix`).
    line: Vec<u8>,
    /// The pending line is a `data:` line whose prefix (`data:` or `data: `, this many bytes) is
    /// not in `line`: a long value then becomes the event's data without another copy. 0 otherwise.
    line_prefix: usize,
    /// While `line_prefix > 0`: how much of that value is known to be UTF-8 (a prefix ending at a
    /// code point boundary; `line` only grows until the value ends), or `None` once an invalid
    /// sequence was found in it (it is then decoded lossily at its end).
    value_checked: Option<usize>,
    /// Length of the last value taken that way: long events of a stream tend to be alike in size,
    /// so the next one reserves this much at once instead of growing by doubling (each doubling
    /// copies what was read so far, and fresh large blocks cost page faults).
    long_value_hint: usize,
    /// The data buffer's lines joined with LF, without the spec's trailing LF (so a one-line
    /// event's data is its value as is, with no LF to append and pop).
    data: String,
    /// The data buffer when it is one non-empty line shared with its chunk (`feed_bytes`),
    /// validated UTF-8; `data` is then empty. Empty otherwise (no `Option`: its length adds to
    /// the data size, per line, without a branch).
    shared_data: Bytes,
    /// Lines in the data buffer.
    data_lines: usize,
    event_type: Option<String>,
    /// spec: the last event ID buffer, set by `id:` fields of the block being read.
    id_buffer: Option<String>,
    /// spec: the last event ID string, committed from the buffer by a blank line.
    last_event_id: Option<String>,
    /// Nothing but a prefix of the BOM has been seen since the stream started.
    at_stream_start: bool,
    /// The previous chunk ended with CR: a leading LF in the next one ends no line.
    after_cr: bool,
    /// Skipping an oversized block until the next blank line.
    discarding: bool,
    /// While discarding: whether the current line has any byte (a blank line ends the discard).
    discarded_line_nonempty: bool,
    /// The current line is a comment longer than `max_event_size`: its bytes are dropped.
    /// Comments are no event data, so they never count towards the limit nor fail the event.
    skipping_comment: bool,
}

impl Parser {
    /// A parser for a new stream. `last_event_id` seeds the last event ID buffer (an extension,
    /// used to resume a stream whose ID is known from an earlier session).
    pub fn new(max_event_size: usize, last_event_id: Option<String>) -> Self {
        Self {
            max_event_size,
            share_min: SHARE_MIN,
            line: Vec::new(),
            line_prefix: 0,
            value_checked: Some(0),
            long_value_hint: 0,
            data: String::new(),
            shared_data: Bytes::new(),
            data_lines: 0,
            event_type: None,
            id_buffer: last_event_id.clone(),
            last_event_id,
            at_stream_start: true,
            after_cr: false,
            discarding: false,
            discarded_line_nonempty: false,
            skipping_comment: false,
        }
    }

    /// Lets `feed_bytes` share `data:` lines from `bytes` long instead of 64 KiB, so that tests
    /// with short inputs (the shared vectors) run the shared path too.
    #[doc(hidden)]
    pub fn share_lines_from(mut self, bytes: usize) -> Self {
        self.share_min = bytes;
        self
    }

    /// The last event ID string (sent as `Last-Event-ID` when reconnecting).
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// End of stream: the unterminated block is discarded (spec: "any pending data must be
    /// discarded", its `id:` included) and the parser is ready for the next stream. The last
    /// event ID string survives.
    pub fn reset(&mut self) {
        self.line.clear();
        self.line_prefix = 0;
        self.discard_block();
        self.at_stream_start = true;
        self.after_cr = false;
        self.discarding = false;
        self.discarded_line_nonempty = false;
        self.skipping_comment = false;
    }

    /// Feeds the next chunk of the stream.
    pub fn feed(&mut self, chunk: &[u8], emit: &mut impl FnMut(Item)) {
        self.feed_from(chunk, None, emit);
    }

    /// Feeds the next chunk as the network hands it over. A `data:` line of at least 64 KiB that
    /// arrives whole in it, starts its block and is at least half of the chunk becomes the
    /// event's data as a slice of the chunk, without a copy; the event then keeps alive the
    /// buffer the chunk was read into.
    pub fn feed_bytes(&mut self, chunk: &Bytes, emit: &mut impl FnMut(Item)) {
        self.feed_from(chunk, Some(chunk), emit);
    }

    /// `chunk` is `shared`'s bytes, or a borrowed chunk when `shared` is `None`.
    fn feed_from(&mut self, mut chunk: &[u8], shared: Option<&Bytes>, emit: &mut impl FnMut(Item)) {
        if self.at_stream_start {
            match self.strip_bom(chunk) {
                Some(rest) => chunk = rest,
                None => return,
            }
        }
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            if chunk[0] == b'\n' {
                chunk = &chunk[1..];
            }
        }
        while let Some(end) = memchr::memchr2(b'\r', b'\n', chunk) {
            let rest_start = if chunk[end] == b'\r' {
                match chunk.get(end + 1) {
                    Some(b'\n') => end + 2,
                    Some(_) => end + 1,
                    None => {
                        self.after_cr = true;
                        end + 1
                    }
                }
            } else {
                end + 1
            };
            self.end_line(&chunk[..end], shared, emit);
            chunk = &chunk[rest_start..];
        }
        self.push_partial(chunk, emit);
    }

    /// Consumes a leading UTF-8 BOM, which may itself arrive split. Returns the bytes left to
    /// parse, or `None` while the chunk is still a proper prefix of the BOM.
    fn strip_bom<'a>(&mut self, chunk: &'a [u8]) -> Option<&'a [u8]> {
        let seen = self.line.len();
        let take = (BOM.len() - seen).min(chunk.len());
        if chunk[..take] != BOM[seen..seen + take] {
            // Not a BOM: the bytes held back are ordinary line content (decoded as U+FFFD).
            self.at_stream_start = false;
            return Some(chunk);
        }
        if seen + take < BOM.len() {
            self.line.extend_from_slice(chunk);
            return None;
        }
        self.line.clear();
        self.at_stream_start = false;
        Some(&chunk[take..])
    }

    /// Appends bytes of a line whose end has not arrived yet, enforcing the size limit so that
    /// an endless line cannot grow memory.
    fn push_partial(&mut self, bytes: &[u8], emit: &mut impl FnMut(Item)) {
        if bytes.is_empty() {
            return;
        }
        if self.discarding {
            self.discarded_line_nonempty = true;
            return;
        }
        if self.skipping_comment {
            return;
        }
        if self.is_comment(bytes) {
            if self.line.len() + bytes.len() > self.max_event_size {
                self.line.clear();
                self.skipping_comment = true;
            } else {
                self.line.extend_from_slice(bytes);
            }
            return;
        }
        if self.data_size() + self.line_prefix + self.line.len() + bytes.len() > self.max_event_size
        {
            self.start_discarding(emit);
            self.discarded_line_nonempty = true;
            return;
        }
        if self.line.is_empty() && self.line_prefix == 0 {
            // A long `data:` line (events larger than a chunk, base64 images): keep only its value.
            // With fewer than 6 bytes the prefix's optional space is unknown: buffer the line whole.
            if let Some(b"data:") = bytes.get(..5) {
                if let Some(&next) = bytes.get(5) {
                    self.line_prefix = if next == b' ' { 6 } else { 5 };
                    self.value_checked = Some(0);
                    let value = &bytes[self.line_prefix..];
                    self.line.reserve(value.len().max(self.long_value_hint));
                    self.line.extend_from_slice(value);
                    self.check_value();
                    return;
                }
            }
        }
        self.line.extend_from_slice(bytes);
        if self.line_prefix > 0 {
            self.check_value();
        }
    }

    /// Validates the buffered value's newest bytes a block at a time, while they are still in
    /// cache: a multi-MiB value validated whole at its end is read back from memory.
    fn check_value(&mut self) {
        let Some(checked) = self.value_checked else {
            return;
        };
        let len = self.line.len();
        if len - checked < CHECK_BLOCK {
            return;
        }
        // Up to the start of the last code point: it may be cut, and the next block starts with
        // it. (`simdutf8::compat` would say where a cut code point starts, but is slower.)
        let end = (len - 4..len)
            .rev()
            .find(|&i| self.line[i] & 0xc0 != 0x80)
            .unwrap_or(len);
        self.value_checked = simdutf8::basic::from_utf8(&self.line[checked..end])
            .is_ok()
            .then_some(end);
    }

    /// A line terminator was found; `tail` is the part of the line in the current chunk, which
    /// `shared` holds when it may be kept.
    fn end_line(&mut self, tail: &[u8], shared: Option<&Bytes>, emit: &mut impl FnMut(Item)) {
        if self.discarding {
            let blank = !self.discarded_line_nonempty && tail.is_empty();
            self.discarded_line_nonempty = false;
            if blank {
                // The blank line ending the oversized block: resume, dispatching nothing.
                self.discarding = false;
            }
            return;
        }
        if std::mem::take(&mut self.skipping_comment) {
            return;
        }
        let length = self.line_prefix + self.line.len() + tail.len();
        if self.data_size() + length > self.max_event_size {
            // Off the hot path: comments do not count towards the limit, and one longer than
            // the limit is dropped without error, as it is when it arrives in pieces.
            if !self.is_comment(tail) {
                self.start_discarding(emit);
                return;
            }
            if length <= self.max_event_size {
                let line = [&self.line[..], tail].concat();
                self.process_line(&line, emit);
            }
            self.line.clear();
            return;
        }
        if self.line_prefix > 0 {
            // The buffered value becomes the data as it is: validated in place, not copied again.
            let mut value = std::mem::take(&mut self.line);
            value.extend_from_slice(tail);
            self.line_prefix = 0;
            self.long_value_hint = value.len();
            if value.capacity() > 2 * value.len() {
                // A hint from a larger event: the event must not carry the excess to its consumer.
                value.shrink_to_fit();
            }
            // SAFETY: `value_checked` covers a validated prefix of this value (see its field).
            let value = unsafe { into_string_lossy(value, self.value_checked) };
            if self.data_lines == 0 {
                self.data = value;
                self.data_lines = 1;
            } else {
                self.push_data(&value);
            }
            return;
        }
        if self.line.is_empty() {
            // Checked here, before any call: most lines are not shared, and this runs per line.
            if let Some(chunk) = shared.filter(|chunk| {
                tail.len() >= self.share_min
                    && self.data_lines == 0
                    && tail.len() * 2 >= chunk.len()
                    && tail.starts_with(b"data:")
            }) {
                if let Some(value) = share_value(chunk, tail) {
                    self.shared_data = value;
                    self.data_lines = 1;
                    return;
                }
            }
            self.process_line(tail, emit);
        } else {
            let mut line = std::mem::take(&mut self.line);
            line.extend_from_slice(tail);
            self.process_line(&line, emit);
            line.clear();
            self.line = line; // keep the allocation for the next long line
        }
    }

    /// Whether the current line, continued by `next`, starts with `:`.
    fn is_comment(&self, next: &[u8]) -> bool {
        self.line_prefix == 0 && self.line.first().or(next.first()) == Some(&b':')
    }

    /// The spec's data buffer length: every data line plus its LF.
    #[inline]
    fn data_size(&self) -> usize {
        self.data.len() + self.shared_data.len() + usize::from(self.data_lines > 0)
    }

    fn push_data(&mut self, value: &str) {
        if self.data_lines > 0 {
            if !self.shared_data.is_empty() {
                self.unshare_data();
            }
            self.data.push('\n');
        }
        self.data.push_str(value);
        self.data_lines += 1;
    }

    /// A second data line after a shared one: the data is built in `data` after all (rare: the
    /// lines that get shared are most of a read, so they tend to come alone).
    #[cold]
    fn unshare_data(&mut self) {
        let first = std::mem::take(&mut self.shared_data);
        // SAFETY: `shared_data` holds validated UTF-8.
        self.data
            .push_str(unsafe { std::str::from_utf8_unchecked(&first) });
    }

    /// Drops the block being read, `id:` fields included.
    fn discard_block(&mut self) {
        self.data.clear();
        self.shared_data = Bytes::new();
        self.data_lines = 0;
        self.event_type = None;
        self.id_buffer.clone_from(&self.last_event_id);
    }

    fn start_discarding(&mut self, emit: &mut impl FnMut(Item)) {
        self.line.clear();
        self.line_prefix = 0;
        self.discard_block();
        self.discarding = true;
        self.discarded_line_nonempty = false;
        emit(Item::EventTooLarge {
            max_event_size: self.max_event_size,
        });
    }

    fn process_line(&mut self, line: &[u8], emit: &mut impl FnMut(Item)) {
        if line.is_empty() {
            return self.dispatch(emit);
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(0) => {
                let comment = strip_leading_space(&line[1..]);
                return emit(Item::Comment(decode(comment).into_owned()));
            }
            Some(colon) => (&line[..colon], strip_leading_space(&line[colon + 1..])),
            // spec: a line without a colon is a field name with an empty value
            None => (line, &[][..]),
        };
        match field {
            b"data" => self.push_data(&decode(value)),
            b"event" => self.event_type = Some(decode(value).into_owned()),
            b"id" if memchr::memchr(0, value).is_none() => {
                self.id_buffer = Some(decode(value).into_owned());
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // More digits than fit in u64 still mean "a very long time".
                let ms = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(u64::MAX);
                emit(Item::Retry(ms));
            }
            _ => {}
        }
    }

    /// spec "dispatch the event": the last event ID string is set from the buffer even when
    /// the data buffer is empty and nothing is dispatched.
    fn dispatch(&mut self, emit: &mut impl FnMut(Item)) {
        self.last_event_id.clone_from(&self.id_buffer);
        let event_type = self.event_type.take();
        if self.data_lines == 0 {
            return;
        }
        self.data_lines = 0;
        // An empty value shared is no reference (`slice_ref` returns a new empty `Bytes`), and
        // an empty data buffer is "" whichever field held it.
        let data = if self.shared_data.is_empty() {
            std::mem::take(&mut self.data).into()
        } else {
            // SAFETY: `shared_data` holds validated UTF-8.
            unsafe { Text::from_utf8_unchecked(std::mem::take(&mut self.shared_data)) }
        };
        emit(Item::Event(Event {
            // spec: an empty event type buffer means "message"
            event: event_type.filter(|t| !t.is_empty()),
            data,
            id: self.id_buffer.clone(),
        }));
    }
}

/// The shortest `data:` line `feed_bytes` shares with its chunk. A slice holds the HTTP client's
/// whole read buffer (hyper's: 8 KiB, growing to 408 KiB under load), and while it lives the next
/// read cannot reuse that buffer and allocates another. For a short value that costs more than the
/// copy it saves and holds many times the value's size; from 64 KiB up the value is a large part
/// of even the largest buffer, and its copy a pass over it plus, for a fresh allocation this size,
/// page faults (a 4 MiB line in one chunk: 0.55-0.62x `sseer` copied, 0.99-1.40x shared).
const SHARE_MIN: usize = 64 << 10;

/// Bytes of a buffered long value validated at once (see `Parser::check_value`): small enough to
/// be still in L2 after being copied in, large enough that one call per block costs nothing.
const CHECK_BLOCK: usize = 16 * 1024;

/// The value of `line`, a `data:` line starting the data buffer and at least half of `chunk` (a
/// value must not hold on to a much larger read), as a slice of `chunk` if it is valid UTF-8.
fn share_value(chunk: &Bytes, line: &[u8]) -> Option<Bytes> {
    let value = strip_leading_space(&line[b"data:".len()..]);
    simdutf8::basic::from_utf8(value).ok()?;
    Some(chunk.slice_ref(value))
}

#[inline]
fn strip_leading_space(value: &[u8]) -> &[u8] {
    value.strip_prefix(b" ").unwrap_or(value)
}

/// A long value as the event's data, without copying it; `checked`: how much of it was validated
/// as it came (`None`: found invalid). Values reach megabytes (base64 images), where validation is
/// a pass over every byte: SIMD validation (`simdutf8`) makes that pass several times faster than
/// `std`'s, which is what keeps a multi-MiB line ahead of `sseer`.
///
/// # Safety
/// With `Some(n)`, `bytes[..n]` is valid UTF-8 ending at a code point boundary.
unsafe fn into_string_lossy(bytes: Vec<u8>, checked: Option<usize>) -> String {
    if checked.is_some_and(|checked| simdutf8::basic::from_utf8(&bytes[checked..]).is_ok()) {
        // SAFETY: the caller vouches for the prefix, and `simdutf8` just validated the rest.
        unsafe { String::from_utf8_unchecked(bytes) }
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// A complete line never splits a code point, so decoding per line is exact. Validated with
/// `simdutf8` first: JSON payloads of a few hundred bytes are the common event, and there its
/// SIMD pass beats `std`'s.
#[inline]
fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in(chunks: &[&[u8]], max: usize) -> Vec<Item> {
        let mut parser = Parser::new(max, None);
        let mut items = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut |item| items.push(item));
        }
        items
    }

    fn event(event: Option<&str>, data: &str, id: Option<&str>) -> Item {
        Item::Event(Event {
            event: event.map(Into::into),
            data: data.into(),
            id: id.map(Into::into),
        })
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_end() {
        let items = parse_in(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"], 1024);
        assert_eq!(items, vec![event(None, "a\nb", None)]);
    }

    #[test]
    fn lone_cr_ends_lines() {
        let items = parse_in(&[b"event: x\rdata: 1\r\rdata: 2\r", b"\r"], 1024);
        assert_eq!(
            items,
            vec![event(Some("x"), "1", None), event(None, "2", None)]
        );
    }

    #[test]
    fn bom_split_across_chunks_is_stripped_once() {
        let items = parse_in(
            &[b"\xEF", b"\xBB", b"\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n"],
            64,
        );
        // The second BOM is not at the stream start: it is part of a field name.
        assert_eq!(items, vec![event(None, "a", None)]);
    }

    #[test]
    fn partial_bom_is_line_content() {
        let items = parse_in(&[b"\xEF", b"\xBBdata: a\n\ndata: b\n\n"], 64);
        assert_eq!(items, vec![event(None, "b", None)]);
    }

    #[test]
    fn code_point_split_across_chunks() {
        let items = parse_in(&[b"data: \xE2", b"\x82", b"\xAC\n\n"], 64);
        assert_eq!(items, vec![event(None, "€", None)]);
    }

    #[test]
    fn oversized_event_reports_once_and_resumes_after_blank_line() {
        let mut chunks: Vec<&[u8]> = vec![b"data: ok\n\ndata: "];
        chunks.extend(std::iter::repeat_n(&b"x"[..], 100));
        chunks.push(b"\ndata: more\nid: 9\n\ndata: after\n\n");
        let items = parse_in(&chunks, 32);
        assert_eq!(
            items,
            vec![
                event(None, "ok", None),
                Item::EventTooLarge { max_event_size: 32 },
                event(None, "after", None),
            ]
        );
    }

    #[test]
    fn a_comment_longer_than_the_limit_is_dropped_in_bounded_memory_without_error() {
        let mut parser = Parser::new(16, None);
        let mut items = Vec::new();
        parser.feed(b"data: a\n:", &mut |i| items.push(i));
        for _ in 0..10_000 {
            parser.feed(b"cccccccc", &mut |i| items.push(i));
            assert!(parser.line.len() <= 16, "the comment is not kept");
        }
        parser.feed(b"\n: short\n\n", &mut |i| items.push(i));
        assert_eq!(
            items,
            vec![Item::Comment("short".into()), event(None, "a", None)]
        );
    }

    #[test]
    fn reset_discards_unterminated_block_and_keeps_last_event_id() {
        let mut parser = Parser::new(64, Some("seed".into()));
        let mut items = Vec::new();
        parser.feed(b"id: 7\ndata: done\n\ndata: partial", &mut |i| {
            items.push(i)
        });
        parser.reset();
        parser.feed(b"\n\ndata: next\n\n", &mut |i| items.push(i));
        assert_eq!(
            items,
            vec![
                event(None, "done", Some("7")),
                event(None, "next", Some("7"))
            ]
        );
        assert_eq!(parser.last_event_id(), Some("7"));
    }

    #[test]
    fn a_long_value_after_a_larger_one_carries_no_excess_capacity() {
        let mut parser = Parser::new(1 << 20, None);
        let mut data = Vec::new();
        for size in [100_000, 1_000] {
            parser.feed(b"data: ", &mut |_| {});
            parser.feed(&vec![b'x'; size], &mut |_| {});
            parser.feed(b"\n\n", &mut |item| {
                if let Item::Event(e) = item {
                    data.push(e.data);
                }
            });
        }
        assert_eq!(
            data.iter().map(|d| d.len()).collect::<Vec<_>>(),
            [100_000, 1_000]
        );
        let last = String::from(data.pop().unwrap());
        assert!(
            last.capacity() <= 2 * 1_000,
            "the hint's excess is given back"
        );
    }

    #[test]
    fn invalid_utf8_in_a_long_value_becomes_replacement_characters() {
        let items = parse_in(&[b"data: ab", b"\xFFc\xE2\x82", b"\n\n"], 64);
        assert_eq!(items, vec![event(None, "ab\u{FFFD}c\u{FFFD}", None)]);
    }

    /// A long value is validated a block at a time as it arrives (`check_value`): however it is
    /// cut, with code points split across chunks and blocks, and with an invalid sequence near
    /// the start, after blocks that passed, around a block's cut or in the unchecked tail, it
    /// decodes as a lossy decode of the whole line does.
    #[test]
    fn a_long_value_checked_as_it_arrives_decodes_as_the_whole_line() {
        let pieces: [&[u8]; 4] = [b"a", "é".as_bytes(), "日".as_bytes(), "🙂".as_bytes()];
        let mut rng = 7u32;
        let mut valid = Vec::new();
        while valid.len() < 5 * CHECK_BLOCK {
            rng = rng.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            valid.extend_from_slice(pieces[(rng >> 8) as usize % pieces.len()]);
        }
        let mut values = vec![valid.clone()];
        // A lone continuation byte, a cut 3-byte sequence, a cut 4-byte one, an invalid byte.
        for (at, bad) in [
            (10, b"\x80".as_slice()),
            (3 * CHECK_BLOCK, b"\xE2\x82"),
            (CHECK_BLOCK - 2, b"\xF0\x9F"),
            (2 * CHECK_BLOCK + 1, b"\xFF"),
            (valid.len() - 3, b"\x80\x80\x80\x80"),
        ] {
            values.push([&valid[..at], bad, &valid[at..]].concat());
        }
        for value in values {
            let expected = String::from_utf8_lossy(&value).into_owned();
            let line = [b"data: ".as_slice(), &value, b"\n\n"].concat();
            for size in [7, 64, 1000, CHECK_BLOCK - 1, CHECK_BLOCK + 3, line.len()] {
                let chunks: Vec<&[u8]> = line.chunks(size).collect();
                let items = parse_in(&chunks, usize::MAX);
                assert_eq!(
                    items,
                    vec![event(None, &expected, None)],
                    "{} bytes in chunks of {size}",
                    value.len()
                );
            }
        }
    }

    /// `chunks` through `feed_bytes`, each with the data of the events it completed.
    fn parse_shared(chunks: &[&[u8]], max: usize) -> Vec<(Bytes, Vec<Item>)> {
        let mut parser = Parser::new(max, None);
        chunks
            .iter()
            .map(|chunk| {
                let chunk = Bytes::copy_from_slice(chunk);
                let mut items = Vec::new();
                parser.feed_bytes(&chunk, &mut |item| items.push(item));
                (chunk, items)
            })
            .collect()
    }

    fn first_event(items: &[Item]) -> &Event {
        match items.first() {
            Some(Item::Event(event)) => event,
            other => panic!("no event first: {other:?}"),
        }
    }

    fn is_slice_of(data: &Text, chunk: &Bytes) -> bool {
        chunk.as_ptr_range().contains(&data.as_ptr())
    }

    #[test]
    fn a_long_data_line_whole_in_a_chunk_becomes_a_slice_of_it() {
        let value = "é".repeat(SHARE_MIN);
        let line = format!("data: {value}\r\n");
        let parsed = parse_shared(&[line.as_bytes(), b"\r\n"], 1 << 20);
        let event = first_event(&parsed[1].1);
        assert_eq!(event.data, value.as_str());
        assert!(
            is_slice_of(&event.data, &parsed[0].0),
            "the data was copied"
        );
    }

    #[test]
    fn compact_data_holds_only_its_own_bytes() {
        let value = "t".repeat(SHARE_MIN);
        let line = format!("data: {value}\n");
        let parsed = parse_shared(&[line.as_bytes(), b"\n"], 1 << 20);
        let event = first_event(&parsed[1].1);
        let mut data = event.data.clone();
        assert!(is_slice_of(&data, &parsed[0].0));
        data.compact();
        assert!(!is_slice_of(&data, &parsed[0].0), "still holds the chunk");
        assert_eq!(data, value);
    }

    #[test]
    fn a_short_line_whole_in_its_chunk_is_copied() {
        let parsed = parse_shared(&[b"data: token\n", b"\n"], 64);
        let event = first_event(&parsed[1].1);
        assert_eq!(event.data, "token");
        assert!(
            !is_slice_of(&event.data, &parsed[0].0),
            "holds the read buffer"
        );
    }

    #[test]
    fn a_line_that_is_a_small_part_of_its_chunk_is_copied() {
        let value = "x".repeat(SHARE_MIN);
        let input = format!("data: {value}\n\n: {}\n", "c".repeat(2 * SHARE_MIN));
        let parsed = parse_shared(&[input.as_bytes()], 1 << 20);
        let event = first_event(&parsed[0].1);
        assert_eq!(event.data, value.as_str());
        assert!(
            !is_slice_of(&event.data, &parsed[0].0),
            "a small slice keeps a large chunk"
        );
    }

    #[test]
    fn a_shared_first_line_joins_the_lines_after_it() {
        let value = "y".repeat(SHARE_MIN);
        let line = format!("data:{value}\n");
        let parsed = parse_shared(&[line.as_bytes(), b"data: two\n", b"data\n\n"], 1 << 20);
        assert_eq!(
            parsed[2].1,
            vec![event(None, &format!("{value}\ntwo\n"), None)]
        );
    }

    #[test]
    fn a_long_line_with_invalid_utf8_is_decoded_with_replacement_characters() {
        let mut line = b"data: ".to_vec();
        line.extend(std::iter::repeat_n(b'z', SHARE_MIN));
        line.extend_from_slice(b"\xFF\n\n");
        let parsed = parse_shared(&[&line], 1 << 20);
        let want = format!("{}\u{FFFD}", "z".repeat(SHARE_MIN));
        assert_eq!(parsed[0].1, vec![event(None, &want, None)]);
    }

    #[test]
    fn a_shared_line_counts_towards_the_size_limit_and_is_dropped_with_its_block() {
        let line = format!("data: {}\n", "w".repeat(SHARE_MIN));
        let parsed = parse_shared(
            &[
                line.as_bytes(),
                b"data: one line too many\n\n",
                line.as_bytes(),
                b"\n",
            ],
            SHARE_MIN + 12,
        );
        let items: Vec<_> = parsed.into_iter().flat_map(|(_, items)| items).collect();
        assert_eq!(
            items,
            vec![
                Item::EventTooLarge {
                    max_event_size: SHARE_MIN + 12
                },
                event(None, &"w".repeat(SHARE_MIN), None),
            ]
        );
    }

    #[test]
    fn large_event_in_tiny_chunks_is_linear() {
        // 4 MiB one byte at a time: quadratic rescanning would take minutes, linear takes ms.
        let size = 4 << 20;
        let mut parser = Parser::new(size + 16, None);
        let mut count = 0;
        let started = std::time::Instant::now();
        parser.feed(b"data: ", &mut |_| {});
        for _ in 0..size {
            parser.feed(b"x", &mut |_| {});
        }
        parser.feed(b"\n\n", &mut |item| {
            if let Item::Event(e) = item {
                count += e.data.len();
            }
        });
        assert_eq!(count, size);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
