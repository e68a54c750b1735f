package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfkit.zoo.Fixtures;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The REST gateway under hostile clients, on real loopback sockets: stalled connections beside
 * normal traffic, oversized and lying bodies, bad chunk sizes, unsupported transfer codings,
 * malformed HTTP and deeply nested JSON. Each gets TF Serving's JSON error with the right status
 * (or a closed connection), and the server answers a correct predict afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestHostileInputTest {
  private static final String PREDICT = "/v1/models/half_plus_two:predict";
  private static final String GOOD_BODY = "{\"instances\": [1.0, 2.0, 5.0]}";
  /** A TLS 1.2 ClientHello's first bytes, as a TLS client sends them to a plain HTTP port. */
  private static final byte[] TLS_HELLO = {
    0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, 0x00, 0x00, (byte) 0xa1, 0x03, 0x03, 0x5b, 0x2c, 0x7e,
    (byte) 0x9f, 0x00, 0x0a, 0x1d, 0x17, (byte) 0xc0, 0x2b, (byte) 0xc0, 0x2f, 0x00, (byte) 0x9e
  };
  private static final Duration BOUND = Duration.ofSeconds(60);

  private final ObjectMapper json = new ObjectMapper();
  /** Default limits except a long read timeout, so stalled connections stay stalled. */
  private EmbeddedServer patient;
  /** A 1 MiB body limit, 1 MiB of bodies in flight and a 1 s read timeout. */
  private EmbeddedServer strict;

  @BeforeAll
  void start() throws IOException {
    patient =
        EmbeddedServer.builder()
            .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
            .grpcPort(0)
            .restPort(0)
            .restReadTimeout(Duration.ofSeconds(120))
            .start();
    strict =
        EmbeddedServer.builder()
            .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
            .grpcPort(0)
            .restPort(0)
            .restMaxBodyBytes(1 << 20)
            .restMaxBodyBytesInFlight(1 << 20)
            .restReadTimeout(Duration.ofSeconds(1))
            .start();
  }

  @AfterAll
  void stop() {
    patient.close();
    strict.close();
  }

  private static int port(EmbeddedServer s) {
    return URI.create(s.restUrl()).getPort();
  }

  /** The stalled requests, by kind; each leaves the server waiting for more. */
  private static List<byte[]> stalledKinds() {
    List<byte[]> kinds = new ArrayList<>();
    kinds.add(ascii("POST " + PREDICT + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: appl")); // slow headers
    kinds.add(ascii("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n{\"instances\"")); // unfinished body
    kinds.add(TLS_HELLO);
    kinds.add(ascii("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1e\r\n{\"inst")); // unfinished chunk
    kinds.add(ascii("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")); // bad chunk size
    kinds.add(ascii("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + GOOD_BODY)); // length > body
    return kinds;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  // ---------------------------------------------------------------- slow clients

  @Test
  void hundredStalledConnectionsDoNotStarveNormalRequests() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          List<byte[]> kinds = stalledKinds();
          List<RawHttp> stalled = new ArrayList<>();
          ExecutorService clients = Executors.newFixedThreadPool(8);
          try {
            for (int i = 0; i < 100; i++) {
              stalled.add(new RawHttp(port(patient), 30_000).send(kinds.get(i % kinds.size())));
            }
            // Normal traffic from 8 clients while all 100 are held: every request answered right.
            List<Future<Integer>> done = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
              done.add(
                  clients.submit(
                      () -> {
                        int ok = 0;
                        try (RawHttp client = new RawHttp(port(patient), 30_000)) {
                          for (int i = 0; i < 25; i++) {
                            RawHttp.Response r = client.send(RawHttp.post(PREDICT, GOOD_BODY)).read();
                            assertThat(r.status()).isEqualTo(200);
                            assertThat(predictions(r.body())).containsExactly(2.5, 3.0, 4.5);
                            ok++;
                          }
                        }
                        return ok;
                      }));
            }
            for (Future<Integer> f : done) {
              assertThat(f.get()).isEqualTo(25);
            }
            // The slow-headers connections were still held open, unanswered, all along.
            RawHttp slowHeaders = stalled.get(0);
            slowHeaders.readTimeout(1000);
            try {
              slowHeaders.read();
              throw new AssertionError("a stalled connection was answered or closed early");
            } catch (SocketTimeoutException expected) {
              // still waiting for its headers
            }
          } finally {
            clients.shutdownNow();
            for (RawHttp s : stalled) {
              s.close();
            }
          }
          assertPredicts(patient);
        });
  }

  @Test
  void stalledRequestsGet408OrAreClosedWithinTheReadTimeout() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          List<byte[]> kinds = stalledKinds();
          for (int k = 0; k < kinds.size(); k++) {
            try (RawHttp c = new RawHttp(port(strict), 30_000)) {
              RawHttp.Response r = c.send(kinds.get(k)).read();
              if (r != null) {
                assertThat(r.status()).as("kind %d", k).isIn(400, 408);
                assertJsonError(r);
                if (k != 2 && k != 4) { // plain stalls; the TLS hello and bad chunk may be refused at once
                  assertThat(r.status()).as("kind %d", k).isEqualTo(408);
                  assertThat(error(r)).contains("rest_read_timeout_in_ms");
                }
                assertThat(r.headers().get("connection")).isEqualTo("close");
              }
              assertThat(c.closedByServer()).as("kind %d closed", k).isTrue();
            }
          }
          // A stalled body's 408 names how far it got.
          try (RawHttp c = new RawHttp(port(strict), 30_000)) {
            RawHttp.Response r = c.send(stalledKinds().get(1)).read();
            assertThat(error(r)).contains("Request body stalled").contains("12 of 30 bytes");
          }
          assertPredicts(strict);
        });
  }

  // ---------------------------------------------------------------- body size

  @Test
  void oversizeBodyIsRefused413BeforeItIsRead() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          // Default limit (64 MiB): a 100 MB Content-Length with a few bytes sent.
          try (RawHttp c = new RawHttp(port(patient), 30_000)) {
            RawHttp.Response r =
                c.send("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{\"inst").read();
            assertThat(r.status()).isEqualTo(413);
            assertThat(error(r))
                .contains("100000000 bytes")
                .contains("limit of " + (64 << 20) + " bytes")
                .contains("rest_max_body_bytes");
            assertThat(c.closedByServer()).isTrue();
          }
          // A length beyond any long, and the strict server's 1 MiB.
          try (RawHttp c = new RawHttp(port(strict), 30_000)) {
            RawHttp.Response r =
                c.send("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n[").read();
            assertThat(r.status()).isEqualTo(413);
            assertThat(error(r)).contains("1048577 bytes").contains("limit of 1048576 bytes");
          }
          // Expect: 100-continue with a length over the limit: the 413 comes instead of 100.
          try (RawHttp c = new RawHttp(port(strict), 30_000)) {
            RawHttp.Response r =
                c.send("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n")
                    .read();
            assertThat(r.status()).isEqualTo(413);
            assertJsonError(r);
          }
          // A chunked body that grows past the limit is cut off at it.
          try (RawHttp c = new RawHttp(port(strict), 30_000)) {
            c.send("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            String chunk = "10000\r\n" + " ".repeat(0x10000) + "\r\n";
            RawHttp.Response r = null;
            try {
              for (int i = 0; i < 17; i++) { // 17 × 64 KiB > 1 MiB
                c.send(chunk);
              }
            } catch (IOException serverStoppedReading) {
              // the server answered and closed while we were still sending
            }
            r = c.read();
            assertThat(r.status()).isEqualTo(413);
            assertThat(error(r)).contains("more than 1048576 bytes");
          }
          assertPredicts(patient);
          assertPredicts(strict);
        });
  }

  @Test
  void expectContinueWithinTheLimitGets100ThenTheAnswer() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          try (RawHttp c = new RawHttp(port(strict), 30_000)) {
            c.send("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                + GOOD_BODY.length() + "\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(100);
            RawHttp.Response r = c.send(GOOD_BODY).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(predictions(r.body())).containsExactly(2.5, 3.0, 4.5);
          }
          try (RawHttp c = new RawHttp(port(strict), 30_000)) {
            RawHttp.Response r =
                c.send("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nExpect: the-impossible\r\nContent-Length: 2\r\n\r\n{}")
                    .read();
            assertThat(r.status()).isEqualTo(417);
            assertJsonError(r);
          }
        });
  }

  @Test
  void bodiesInFlightOverTheBudgetGet503AndTheHeldOneStillSucceeds() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          int size = 1 << 20; // the strict server's whole budget
          String padded = GOOD_BODY + " ".repeat(size - GOOD_BODY.length());
          try (RawHttp holder = new RawHttp(port(strict), 30_000)) {
            // The 100 Continue comes once the server has reserved the holder's bytes.
            holder.send(
                "POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                    + size + "\r\n\r\n");
            assertThat(holder.read().status()).isEqualTo(100);
            holder.send(padded.substring(0, size / 2));
            RawHttp.Response refused;
            try (RawHttp other = new RawHttp(port(strict), 30_000)) {
              refused = other.send(RawHttp.post(PREDICT, GOOD_BODY)).read();
            }
            assertThat(refused.status()).isEqualTo(503);
            assertThat(error(refused)).contains("rest_max_body_bytes_in_flight").contains("retry");
            RawHttp.Response held = holder.send(padded.substring(size / 2)).read();
            assertThat(held.status()).isEqualTo(200);
            assertThat(predictions(held.body())).containsExactly(2.5, 3.0, 4.5);
          }
          assertPredicts(strict); // the budget came back
        });
  }

  // ---------------------------------------------------------------- HTTP edge cases

  @Test
  void badChunkSizesAreRefusedOrClosed() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          String[] sizes = {"zz", "FFFFFFFFFFFFFFFF", "10000000000000000", "-1", "7fffffff"};
          for (String size : sizes) {
            try (RawHttp c = new RawHttp(port(strict), 30_000)) {
              c.send("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n{}");
              RawHttp.Response r = c.read();
              // 7fffffff is a valid size (a body that then stalls); the others are malformed.
              assertThat(r).as(size).isNotNull();
              assertThat(r.status()).as(size).isEqualTo(size.equals("7fffffff") ? 408 : 400);
              assertJsonError(r);
              assertThat(c.closedByServer()).as(size).isTrue();
            }
            assertPredicts(strict);
          }
        });
  }

  @Test
  void unsupportedTransferCodingsGet400Or501() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          // RFC 9112: a last coding other than chunked leaves the length unknowable (6.3: 400), as
          // does chunked twice; an unknown coding before chunked is not implemented (6.1: 501).
          String[][] codings = {
            {"gzip", "400"}, {"identity", "400"}, {"gzip, chunked", "501"}, {"chunked, chunked", "400"},
            {"x-custom, chunked", "501"}
          };
          for (String[] tc : codings) {
            String coding = tc[0];
            try (RawHttp c = new RawHttp(port(strict), 30_000)) {
              RawHttp.Response r =
                  c.send("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                      .read();
              assertThat(r.status()).as(coding).isEqualTo(Integer.parseInt(tc[1]));
              assertThat(error(r)).contains("Transfer-Encoding").contains("not supported");
            }
          }
          assertPredicts(strict);
        });
  }

  @Test
  void malformedHttpGetsJsonErrors() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          String[][] cases = {
            {"414", "GET /v1/models/" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"},
            {"431", "GET /v1/models/half_plus_two HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n"},
            {"400", "FLY ME TO THE MOON\r\n\r\n"},
            {"400", "POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"},
            {"400", "POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"},
            {"404", "DELETE /v1/models/half_plus_two HTTP/1.1\r\nHost: x\r\n\r\n"},
          };
          for (String[] c : cases) {
            try (RawHttp h = new RawHttp(port(strict), 30_000)) {
              RawHttp.Response r = h.send(c[1]).read();
              assertThat(r.status()).as(c[1].substring(0, Math.min(30, c[1].length()))).isEqualTo(Integer.parseInt(c[0]));
              assertJsonError(r);
            }
          }
          assertPredicts(strict);
        });
  }

  @Test
  void deeplyNestedJsonIs400NotAStackOverflow() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          String deep = "[".repeat(100_000);
          String[] bodies = {
            deep, "{\"instances\": " + deep, "{\"inputs\": {\"x\": " + deep + "}}",
            "{\"instances\": " + "[".repeat(5000) + "1" + "]".repeat(5000) + "}",
          };
          for (String verb : new String[] {"predict", "classify", "regress"}) {
            for (String body : bodies) {
              try (RawHttp c = new RawHttp(port(patient), 30_000)) {
                RawHttp.Response r = c.send(RawHttp.post("/v1/models/half_plus_two:" + verb, body)).read();
                assertThat(r.status()).as(verb).isEqualTo(400);
                assertThat(error(r)).as(verb).containsIgnoringCase("depth");
              }
            }
          }
          assertPredicts(patient);
        });
  }

  // ---------------------------------------------------------------- normal HTTP still works

  @Test
  void keepAlivePipeliningAndHttp10AreAnsweredInOrder() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          try (RawHttp c = new RawHttp(port(strict), 30_000)) {
            // Three requests in one write: three answers, in order, on the same connection.
            c.send(
                RawHttp.post(PREDICT, "{\"instances\": [2.0]}")
                    + "GET /v1/models/nope HTTP/1.1\r\nHost: x\r\n\r\n"
                    + RawHttp.post(PREDICT, "{\"instances\": [4.0]}"));
            RawHttp.Response a = c.read();
            RawHttp.Response b = c.read();
            RawHttp.Response d = c.read();
            assertThat(predictions(a.body())).containsExactly(3.0);
            assertThat(b.status()).isEqualTo(404);
            assertJsonError(b);
            assertThat(predictions(d.body())).containsExactly(4.0);
            assertThat(c.send(RawHttp.post(PREDICT, GOOD_BODY)).read().status()).isEqualTo(200);
          }
          try (RawHttp c = new RawHttp(port(strict), 30_000)) {
            String body = "{\"instances\": [6.0]}";
            RawHttp.Response r =
                c.send("POST " + PREDICT + " HTTP/1.0\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).read();
            assertThat(predictions(r.body())).containsExactly(5.0);
            assertThat(c.closedByServer()).isTrue(); // HTTP/1.0 without keep-alive
          }
        });
  }

  // ---------------------------------------------------------------- helpers

  private void assertPredicts(EmbeddedServer s) throws Exception {
    Protos.Http r = Protos.post(s.restUrl() + PREDICT, GOOD_BODY);
    assertThat(r.code()).isEqualTo(200);
    assertThat(predictions(r.body())).containsExactly(2.5, 3.0, 4.5);
  }

  private List<Double> predictions(String body) throws IOException {
    List<Double> out = new ArrayList<>();
    json.readTree(body).get("predictions").forEach(n -> out.add(n.isArray() ? n.get(0).asDouble() : n.asDouble()));
    return out;
  }

  private String error(RawHttp.Response r) throws IOException {
    assertJsonError(r);
    return json.readTree(r.body()).get("error").asText();
  }

  private void assertJsonError(RawHttp.Response r) throws IOException {
    assertThat(r.headers().get("content-type")).startsWith("application/json");
    JsonNode n = json.readTree(r.body());
    assertThat(n.isObject()).as(r.body()).isTrue();
    assertThat(n.get("error").asText()).as(r.body()).isNotBlank();
  }
}
