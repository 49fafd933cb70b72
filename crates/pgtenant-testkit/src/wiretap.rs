//! A recording TCP proxy in front of the test server: what a client really
//! sends, message by message, for tests of claims about the wire (how many
//! round trips a call costs, that a password never travels in plain text).
//!
//! Each tap listens on its own port of 127.0.0.1, so tests using taps run in
//! parallel. It answers an `SSLRequest` (or `GSSENCRequest`) itself with
//! `N`, so the conversation stays readable whatever the server's `ssl`
//! setting; clients with the default `sslmode=prefer` then go on in plain
//! text. Client → server messages are recorded before they are forwarded,
//! so once a call has its answer, what it sent is in [`WireTap::messages`].

use sqlx::postgres::PgConnectOptions;
use sqlx::ConnectOptions;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The protocol's request codes that come instead of a startup message.
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

/// One message a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireMessage {
    /// The client connection (0, 1, … in order of accept).
    pub connection: usize,
    /// The message type byte (`b'Q'` simple query, `b'P'` parse, `b'S'`
    /// sync, …); 0 for the startup message, which has none.
    pub tag: u8,
    /// The message body, without type byte and length.
    pub body: Vec<u8>,
}

impl WireMessage {
    /// The SQL text of a simple query (`Q`) or a parse (`P`) message.
    pub fn sql(&self) -> Option<String> {
        let text = match self.tag {
            b'Q' => &self.body[..],
            // Parse: statement name, NUL, query text, NUL, parameter types.
            b'P' => {
                let name_end = self.body.iter().position(|&b| b == 0)?;
                &self.body[name_end + 1..]
            }
            _ => return None,
        };
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        Some(String::from_utf8_lossy(&text[..end]).into_owned())
    }

    /// Whether the client waits for the server after this message: a simple
    /// query, or the sync that ends an extended-protocol exchange.
    pub fn ends_round_trip(&self) -> bool {
        matches!(self.tag, b'Q' | b'S')
    }
}

type Log = Arc<Mutex<Vec<WireMessage>>>;

/// The proxy; stops accepting when dropped.
pub struct WireTap {
    port: u16,
    log: Log,
    accept: tokio::task::JoinHandle<()>,
}

impl WireTap {
    /// Listen on a free port of 127.0.0.1 and forward to the server of
    /// `upstream_url` (a TCP host).
    pub async fn start(upstream_url: &str) -> WireTap {
        let opts = PgConnectOptions::from_str(upstream_url).expect("valid upstream URL");
        let upstream = format!("{}:{}", opts.get_host(), opts.get_port());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the wire tap");
        let port = listener.local_addr().expect("tap address").port();
        let log = Log::default();
        let accept = tokio::spawn(accept_loop(listener, upstream, log.clone()));
        WireTap { port, log, accept }
    }

    /// `url` (credentials, database, options) pointed at the tap.
    pub fn url(&self, url: &str) -> String {
        PgConnectOptions::from_str(url)
            .expect("valid URL")
            .host("127.0.0.1")
            .port(self.port)
            .to_url_lossy()
            .to_string()
    }

    /// Everything recorded so far, in the order each connection sent it.
    pub fn messages(&self) -> Vec<WireMessage> {
        self.log.lock().expect("wire log").clone()
    }

    /// Forget what was recorded so far.
    pub fn clear(&self) {
        self.log.lock().expect("wire log").clear();
    }

    /// The SQL text of every query or parse message recorded so far.
    pub fn sql(&self) -> Vec<String> {
        self.messages()
            .iter()
            .filter_map(WireMessage::sql)
            .collect()
    }
}

impl Drop for WireTap {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// The body length of a message whose length field says `len`.
fn body_len(len: u32) -> usize {
    usize::try_from(len).map_or(0, |n| n.saturating_sub(4))
}

async fn accept_loop(listener: TcpListener, upstream: String, log: Log) {
    let mut connection = 0;
    while let Ok((client, _)) = listener.accept().await {
        tokio::spawn(relay(client, upstream.clone(), connection, log.clone()));
        connection += 1;
    }
}

/// Relay one client connection; ends when either side closes.
async fn relay(client: TcpStream, upstream: String, connection: usize, log: Log) {
    let Ok(server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    let record = |tag: u8, body: &[u8]| {
        log.lock().expect("wire log").push(WireMessage {
            connection,
            tag,
            body: body.to_vec(),
        });
    };
    // The startup phase: answer encryption requests, forward the startup.
    loop {
        let Ok(len) = client_rx.read_u32().await else {
            return;
        };
        let mut body = vec![0; body_len(len)];
        if client_rx.read_exact(&mut body).await.is_err() {
            return;
        }
        let code = body
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        if matches!(code, Some(SSL_REQUEST | GSSENC_REQUEST)) {
            if client_tx.write_all(b"N").await.is_err() {
                return;
            }
            continue;
        }
        record(0, &body);
        let mut frame = len.to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        if server_tx.write_all(&frame).await.is_err() {
            return;
        }
        break;
    }
    let back = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_rx, &mut client_tx).await;
        let _ = client_tx.shutdown().await;
    });
    // Then typed messages: tag, length (itself included), body.
    while let Ok(tag) = client_rx.read_u8().await {
        let Ok(len) = client_rx.read_u32().await else {
            break;
        };
        let mut body = vec![0; body_len(len)];
        if client_rx.read_exact(&mut body).await.is_err() {
            break;
        }
        record(tag, &body);
        let mut frame = vec![tag];
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(&body);
        if server_tx.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = server_tx.shutdown().await;
    let _ = back.await;
}
