package dev.tfkit.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Server;
import io.grpc.alts.internal.HandshakeProtocol;
import io.grpc.alts.internal.HandshakerReq;
import io.grpc.alts.internal.HandshakerResp;
import io.grpc.alts.internal.HandshakerResult;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import io.grpc.alts.internal.HandshakerStatus;
import io.grpc.alts.internal.Identity;
import io.grpc.alts.internal.RpcProtocolVersions;
import io.grpc.alts.internal.ServerHandshakeParameters;
import io.grpc.alts.internal.StartClientHandshakeReq;
import io.grpc.alts.internal.StartServerHandshakeReq;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A fake ALTS handshaker service on loopback, standing in for Google Cloud's (the metadata
 * server's), which is not reachable here. One instance is one machine's handshaker: every
 * connection it handshakes for runs as its {@link #serviceAccount}.
 *
 * <p>It speaks the real {@code grpc.gcp.HandshakerService} protocol to grpc-java's ALTS code, and
 * its own three-frame exchange between the two peers' handshakers, carried over the connection
 * being secured: the client's handshaker sends {@code ClientInit} (its service account, RPC
 * versions and a nonce), the server's answers {@code ServerInit} (the same of its own), and the
 * client's ends with {@code ClientFinished} (a hash of the derived key, which the server's
 * checks). Each frame is a 4-byte big-endian length and that many bytes of text. Both sides
 * derive the record key from the two Init frames (SHA-512: 64 bytes, more than the 44 grpc-java's
 * {@code AltsChannelCrypter} needs); there is no key exchange, so this protects nothing — it
 * exercises the server's and the client's ALTS wiring, not ALTS's cryptography.
 *
 * <p>Like the real service it buffers a frame that arrives in pieces (answering {@code
 * bytes_consumed} for what it buffered and no {@code out_frames}), and never consumes bytes after
 * the end of a handshake frame: the peer's first application data may follow it in the same read.
 * The client's target service accounts are checked against the server's identity, as the real
 * handshaker does; a mismatch, or bytes that are not a handshake frame, end the handshake with an
 * error status.
 */
final class FakeAltsHandshaker implements AutoCloseable {
  static final String APPLICATION_PROTOCOL = "grpc";
  static final String RECORD_PROTOCOL = "ALTSRP_GCM_AES128_REKEY";
  private static final int MAX_FRAME_BYTES = 16 * 1024;
  private static final int STATUS_OK = 0;
  private static final int STATUS_INVALID_ARGUMENT = 3;
  private static final int STATUS_FAILED_PRECONDITION = 9;
  private static final int STATUS_UNAUTHENTICATED = 16;

  private final String serviceAccount;
  private final Server server;
  private final EventLoopGroup loop;
  /** The peers' service accounts of the handshakes this handshaker completed. */
  private final List<String> peersAuthenticated = new CopyOnWriteArrayList<>();
  /** The error details of the handshakes it refused. */
  private final List<String> refusals = new CopyOnWriteArrayList<>();

  private FakeAltsHandshaker(String serviceAccount) throws IOException {
    this.serviceAccount = serviceAccount;
    // Its own event loop: grpc-java's ALTS waits for the handshaker's answer on the connection's
    // event loop, so a handshaker on the shared default loops of the same JVM could be waiting
    // behind the very thread that waits for it (a real handshaker is another process).
    this.loop = new NioEventLoopGroup(1);
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .channelType(NioServerSocketChannel.class)
            .bossEventLoopGroup(loop)
            .workerEventLoopGroup(loop)
            .addService(new Service())
            .build()
            .start();
  }

  /** Starts a handshaker on a free loopback port whose connections run as {@code serviceAccount}. */
  static FakeAltsHandshaker start(String serviceAccount) throws IOException {
    return new FakeAltsHandshaker(serviceAccount);
  }

  /** {@code 127.0.0.1:port}, for {@code --alts_handshaker_service}. */
  String address() {
    return "127.0.0.1:" + server.getPort();
  }

  String serviceAccount() {
    return serviceAccount;
  }

  List<String> peersAuthenticated() {
    return List.copyOf(peersAuthenticated);
  }

  List<String> refusals() {
    return List.copyOf(refusals);
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private final class Service extends HandshakerServiceGrpc.HandshakerServiceImplBase {
    @Override
    public StreamObserver<HandshakerReq> doHandshake(StreamObserver<HandshakerResp> out) {
      return new Handshake(out);
    }
  }

  /** A handshake failure: answered with this status, after which the stream takes nothing more. */
  private static final class Refusal extends Exception {
    final int code;

    Refusal(int code, String details) {
      super(details);
      this.code = code;
    }
  }

  private enum State { NEW, AWAIT_CLIENT_INIT, AWAIT_SERVER_INIT, AWAIT_CLIENT_FINISHED, DONE }

  /** One connection's handshake, one side of it (one {@code DoHandshake} stream). */
  private final class Handshake implements StreamObserver<HandshakerReq> {
    private final StreamObserver<HandshakerResp> out;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private State state = State.NEW;
    private List<String> targetServiceAccounts = List.of();
    private RpcProtocolVersions ownVersions = RpcProtocolVersions.getDefaultInstance();
    private RpcProtocolVersions peerVersions;
    private String peerServiceAccount;
    private byte[] clientInit;
    private byte[] key;

    Handshake(StreamObserver<HandshakerResp> out) {
      this.out = out;
    }

    @Override
    public void onNext(HandshakerReq req) {
      HandshakerResp resp;
      try {
        resp = handle(req);
      } catch (Refusal r) {
        state = State.DONE;
        refusals.add(r.getMessage());
        resp = HandshakerResp.newBuilder()
            .setStatus(HandshakerStatus.newBuilder().setCode(r.code).setDetails(r.getMessage()))
            .build();
      }
      out.onNext(resp);
    }

    @Override
    public void onError(Throwable t) {
      // the peer went away mid-handshake; nothing to answer
    }

    @Override
    public void onCompleted() {
      out.onCompleted();
    }

    private HandshakerResp handle(HandshakerReq req) throws Refusal {
      switch (req.getReqOneofCase()) {
        case CLIENT_START -> {
          expect(State.NEW, "client_start");
          StartClientHandshakeReq start = req.getClientStart();
          if (start.getHandshakeSecurityProtocol() != HandshakeProtocol.ALTS) {
            throw new Refusal(STATUS_INVALID_ARGUMENT,
                "only ALTS is handshaken here, not " + start.getHandshakeSecurityProtocol());
          }
          checkProtocols(start.getApplicationProtocolsList(), start.getRecordProtocolsList());
          List<String> targets = new ArrayList<>();
          for (Identity id : start.getTargetIdentitiesList()) targets.add(id.getServiceAccount());
          targetServiceAccounts = targets;
          ownVersions = start.getRpcVersions();
          clientInit = frame("ClientInit", serviceAccount, b64(ownVersions.toByteArray()), nonce());
          state = State.AWAIT_SERVER_INIT;
          return ok(clientInit, 0, null);
        }
        case SERVER_START -> {
          expect(State.NEW, "server_start");
          StartServerHandshakeReq start = req.getServerStart();
          ServerHandshakeParameters alts =
              start.getHandshakeParametersMap().get(HandshakeProtocol.ALTS.getNumber());
          if (alts == null) {
            throw new Refusal(STATUS_INVALID_ARGUMENT, "server_start has no ALTS handshake parameters");
          }
          checkProtocols(start.getApplicationProtocolsList(), alts.getRecordProtocolsList());
          ownVersions = start.getRpcVersions();
          state = State.AWAIT_CLIENT_INIT;
          return feed(start.getInBytes());
        }
        case NEXT -> {
          if (state == State.NEW || state == State.DONE) {
            throw new Refusal(STATUS_FAILED_PRECONDITION, "next in state " + state);
          }
          return feed(req.getNext().getInBytes());
        }
        default -> throw new Refusal(STATUS_INVALID_ARGUMENT, "empty handshaker request");
      }
    }

    private void expect(State s, String what) throws Refusal {
      if (state != s) throw new Refusal(STATUS_FAILED_PRECONDITION, what + " in state " + state);
    }

    private void checkProtocols(List<String> application, List<String> record) throws Refusal {
      if (!application.contains(APPLICATION_PROTOCOL)) {
        throw new Refusal(STATUS_INVALID_ARGUMENT, "no application protocol in common: " + application);
      }
      if (!record.contains(RECORD_PROTOCOL)) {
        throw new Refusal(STATUS_INVALID_ARGUMENT, "no record protocol in common: " + record);
      }
    }

    /**
     * Adds the peer's bytes; answers with what they complete. Bytes after a complete frame are
     * not consumed (nor kept): they are the peer's application data, not the handshaker's.
     */
    private HandshakerResp feed(ByteString in) throws Refusal {
      int before = pending.size();
      pending.writeBytes(in.toByteArray());
      byte[] buf = pending.toByteArray();
      if (buf.length < 4) return ok(null, in.size(), null);
      int length = ByteBuffer.wrap(buf, 0, 4).getInt();
      if (length <= 0 || length > MAX_FRAME_BYTES) {
        throw new Refusal(STATUS_INVALID_ARGUMENT,
            "not an ALTS handshake frame: its length prefix says " + length + " bytes");
      }
      if (buf.length < 4 + length) return ok(null, in.size(), null);
      byte[] frame = Arrays.copyOf(buf, 4 + length);
      pending.reset();
      return onFrame(frame, 4 + length - before);
    }

    private HandshakerResp onFrame(byte[] frame, int consumed) throws Refusal {
      String[] f = new String(frame, 4, frame.length - 4, StandardCharsets.UTF_8).split("\n", -1);
      switch (state) {
        case AWAIT_CLIENT_INIT -> {
          peer(f, "ClientInit");
          clientInit = frame;
          byte[] serverInit =
              frame("ServerInit", serviceAccount, b64(ownVersions.toByteArray()), nonce());
          key = sha512(clientInit, serverInit);
          state = State.AWAIT_CLIENT_FINISHED;
          return ok(serverInit, consumed, null);
        }
        case AWAIT_SERVER_INIT -> {
          peer(f, "ServerInit");
          if (!targetServiceAccounts.isEmpty()
              && !targetServiceAccounts.contains(peerServiceAccount)) {
            throw new Refusal(STATUS_UNAUTHENTICATED,
                "the server authenticated as " + peerServiceAccount
                    + ", which is not one of the target service accounts " + targetServiceAccounts);
          }
          key = sha512(clientInit, frame);
          state = State.DONE;
          peersAuthenticated.add(peerServiceAccount);
          return ok(frame("ClientFinished", b64(sha256(key))), consumed, result());
        }
        case AWAIT_CLIENT_FINISHED -> {
          if (f.length != 2 || !f[0].equals("ClientFinished") || !f[1].equals(b64(sha256(key)))) {
            throw new Refusal(STATUS_UNAUTHENTICATED, "ClientFinished does not match the handshake");
          }
          state = State.DONE;
          peersAuthenticated.add(peerServiceAccount);
          return ok(null, consumed, result());
        }
        default -> throw new Refusal(STATUS_FAILED_PRECONDITION, "frame in state " + state);
      }
    }

    /** Reads the peer's Init frame: kind, service account, RPC versions, nonce. */
    private void peer(String[] f, String kind) throws Refusal {
      if (f.length != 4 || !f[0].equals(kind) || f[1].isEmpty()) {
        throw new Refusal(STATUS_INVALID_ARGUMENT, "expected a " + kind + " frame");
      }
      peerServiceAccount = f[1];
      try {
        peerVersions = RpcProtocolVersions.parseFrom(Base64.getDecoder().decode(f[2]));
      } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
        throw new Refusal(STATUS_INVALID_ARGUMENT, kind + " has unreadable RPC versions");
      }
    }

    private HandshakerResult result() {
      return HandshakerResult.newBuilder()
          .setApplicationProtocol(APPLICATION_PROTOCOL)
          .setRecordProtocol(RECORD_PROTOCOL)
          .setKeyData(ByteString.copyFrom(key))
          .setPeerIdentity(Identity.newBuilder().setServiceAccount(peerServiceAccount))
          .setLocalIdentity(Identity.newBuilder().setServiceAccount(serviceAccount))
          .setPeerRpcVersions(peerVersions)
          .build();
    }
  }

  private static HandshakerResp ok(byte[] outFrames, int consumed, HandshakerResult result) {
    HandshakerResp.Builder b = HandshakerResp.newBuilder()
        .setBytesConsumed(consumed)
        .setStatus(HandshakerStatus.newBuilder().setCode(STATUS_OK));
    if (outFrames != null) b.setOutFrames(ByteString.copyFrom(outFrames));
    if (result != null) b.setResult(result);
    return b.build();
  }

  /** A length-prefixed frame of newline-separated text fields. */
  static byte[] frame(String... fields) {
    byte[] payload = String.join("\n", fields).getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
  }

  private static String nonce() {
    byte[] n = new byte[16];
    new SecureRandom().nextBytes(n);
    return b64(n);
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  private static byte[] sha512(byte[] a, byte[] b) {
    return digest("SHA-512", a, b);
  }

  private static byte[] sha256(byte[] a) {
    return digest("SHA-256", a);
  }

  private static byte[] digest(String alg, byte[]... parts) {
    try {
      MessageDigest d = MessageDigest.getInstance(alg);
      for (byte[] p : parts) d.update(p);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
