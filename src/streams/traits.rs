//! The runtime-neutral I/O traits on the streams, so code written against
//! `futures-io` (or, with the `tokio-io` feature, tokio's traits) runs on asyncio's
//! streams:
//!
//! * [`StreamReader`]: `AsyncRead` and `AsyncBufRead`, served from the reader's buffer
//!   first (so they mix freely with `readline` and friends, and a cancelled read loses
//!   nothing);
//! * [`StreamWriter`]: `AsyncWrite`. `poll_write` buffers everything it is given, after
//!   waiting as [`drain`](StreamWriter::drain) does while the buffer is above the
//!   high-water mark (the back-pressure of asyncio's `write` + `drain`); `poll_flush` is a
//!   `drain` (the rest of the buffer is sent in the background, as every write is);
//!   `poll_close` is [`write_eof`](StreamWriter::write_eof): the peer reads EOF once the
//!   buffer is sent.
//!
//! Every poll is a runtime-aware await point: a pending cancel of the task arrives as an
//! `io::Error` wrapping the `CancelledError`, as everywhere in the streams.
//!
//! ```
//! use futures_io::{AsyncBufRead, AsyncWrite};
//! use std::pin::Pin;
//!
//! fn assert_traits<R: AsyncBufRead + Unpin, W: AsyncWrite + Unpin>() {}
//! assert_traits::<asyncio::StreamReader, asyncio::StreamWriter>();
//! ```

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::streams::{StreamReader, StreamWriter};

/// Hands at most `room` buffered bytes (reading the socket first if none are buffered)
/// to `put`, and consumes them: both traits' `poll_read`, without zeroing the caller's
/// buffer first.
fn poll_copy(
    reader: &mut StreamReader,
    cx: &mut Context<'_>,
    room: usize,
    put: impl FnOnce(&[u8]),
) -> Poll<io::Result<usize>> {
    let buf = ready!(reader.poll_fill_buf(cx))?;
    let n = buf.len().min(room);
    put(&buf[..n]);
    reader.consume(n);
    Poll::Ready(Ok(n))
}

fn poll_write(writer: &StreamWriter, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
    ready!(writer.poll_drain(cx))?;
    writer.write(buf)?;
    Poll::Ready(Ok(buf.len()))
}

fn poll_close(writer: &StreamWriter) -> Poll<io::Result<()>> {
    writer.write_eof();
    Poll::Ready(Ok(()))
}

impl futures_io::AsyncRead for StreamReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let room = buf.len();
        poll_copy(self.get_mut(), cx, room, |data| {
            buf[..data.len()].copy_from_slice(data)
        })
    }
}

impl futures_io::AsyncBufRead for StreamReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().consume(amt)
    }
}

impl futures_io::AsyncWrite for StreamWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        poll_write(&self, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_drain(cx)
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_close(&self)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncRead for StreamReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let room = buf.remaining();
        ready!(poll_copy(self.get_mut(), cx, room, |data| buf.put_slice(data)))?;
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncBufRead for StreamReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().consume(amt)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncWrite for StreamWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        poll_write(&self, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_drain(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_close(&self)
    }
}
