package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.alts.internal.HandshakeProtocol;
import io.grpc.alts.internal.HandshakerReq;
import io.grpc.alts.internal.HandshakerResp;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import io.grpc.alts.internal.NextHandshakeMessageReq;
import io.grpc.alts.internal.RpcProtocolVersions;
import io.grpc.alts.internal.ServerHandshakeParameters;
import io.grpc.alts.internal.StartClientHandshakeReq;
import io.grpc.alts.internal.StartServerHandshakeReq;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The fake handshaker's byte accounting, which grpc-java's ALTS relies on and which a loopback
 * handshake may or may not exercise: a frame split over several requests is buffered, and bytes
 * after a frame's end (the peer's first application data) are not consumed.
 */
class FakeAltsHandshakerTest {
  private static final RpcProtocolVersions VERSIONS = RpcProtocolVersions.newBuilder()
      .setMaxRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(2).setMinor(1))
      .setMinRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(2).setMinor(1))
      .build();

  /** One DoHandshake stream, answered request by request. */
  private static final class Stream implements AutoCloseable {
    final BlockingQueue<HandshakerResp> answers = new LinkedBlockingQueue<>();
    final StreamObserver<HandshakerReq> requests;

    Stream(ManagedChannel ch) {
      requests = HandshakerServiceGrpc.newStub(ch).doHandshake(new StreamObserver<>() {
        @Override
        public void onNext(HandshakerResp r) {
          answers.add(r);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      });
    }

    HandshakerResp send(HandshakerReq req) throws InterruptedException {
      requests.onNext(req);
      HandshakerResp r = answers.poll(10, TimeUnit.SECONDS);
      assertThat(r).as("an answer to " + req.getReqOneofCase()).isNotNull();
      return r;
    }

    HandshakerResp next(byte[] bytes) throws InterruptedException {
      return send(HandshakerReq.newBuilder()
          .setNext(NextHandshakeMessageReq.newBuilder().setInBytes(ByteString.copyFrom(bytes)))
          .build());
    }

    @Override
    public void close() {
      requests.onCompleted();
    }
  }

  private static HandshakerReq clientStart(String target) {
    StartClientHandshakeReq.Builder start = StartClientHandshakeReq.newBuilder()
        .setHandshakeSecurityProtocol(HandshakeProtocol.ALTS)
        .addApplicationProtocols("grpc")
        .addRecordProtocols(FakeAltsHandshaker.RECORD_PROTOCOL)
        .setRpcVersions(VERSIONS);
    start.addTargetIdentitiesBuilder().setServiceAccount(target);
    return HandshakerReq.newBuilder().setClientStart(start).build();
  }

  private static HandshakerReq serverStart(byte[] in) {
    return HandshakerReq.newBuilder().setServerStart(StartServerHandshakeReq.newBuilder()
        .addApplicationProtocols("grpc")
        .putHandshakeParameters(HandshakeProtocol.ALTS.getNumber(),
            ServerHandshakeParameters.newBuilder()
                .addRecordProtocols(FakeAltsHandshaker.RECORD_PROTOCOL).build())
        .setRpcVersions(VERSIONS)
        .setInBytes(ByteString.copyFrom(in)))
        .build();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void splitFramesAreBufferedAndBytesAfterAFrameAreNotConsumed() throws Exception {
    try (FakeAltsHandshaker clientSide = FakeAltsHandshaker.start("client@x.iam.gserviceaccount.com");
        FakeAltsHandshaker serverSide = FakeAltsHandshaker.start("server@x.iam.gserviceaccount.com")) {
      ManagedChannel toClientSide =
          Grpc.newChannelBuilder(clientSide.address(), InsecureChannelCredentials.create()).build();
      ManagedChannel toServerSide =
          Grpc.newChannelBuilder(serverSide.address(), InsecureChannelCredentials.create()).build();
      try (Stream client = new Stream(toClientSide); Stream server = new Stream(toServerSide)) {
        byte[] clientInit = client.send(clientStart("server@x.iam.gserviceaccount.com"))
            .getOutFrames().toByteArray();
        assertThat(clientInit.length).isGreaterThan(8);
        byte[] appData = {'P', 'R', 'I', ' ', '*'};

        // three bytes: not even the length prefix; all buffered, nothing to send yet
        HandshakerResp r1 = server.send(serverStart(Arrays.copyOf(clientInit, 3)));
        assertThat(r1.getBytesConsumed()).isEqualTo(3);
        assertThat(r1.getOutFrames().isEmpty()).isTrue();
        assertThat(r1.hasResult()).isFalse();
        // the rest of the frame and application data behind it: only the frame's bytes consumed
        HandshakerResp r2 = server.next(
            concat(Arrays.copyOfRange(clientInit, 3, clientInit.length), appData));
        assertThat(r2.getBytesConsumed()).isEqualTo(clientInit.length - 3);
        assertThat(r2.getStatus().getCode()).isZero();
        byte[] serverInit = r2.getOutFrames().toByteArray();
        assertThat(new String(serverInit, 4, 10, StandardCharsets.UTF_8))
            .isEqualTo("ServerInit");

        HandshakerResp c2 = client.next(concat(serverInit, appData));
        assertThat(c2.getBytesConsumed()).isEqualTo(serverInit.length);
        assertThat(c2.getResult().getPeerIdentity().getServiceAccount())
            .isEqualTo("server@x.iam.gserviceaccount.com");
        assertThat(c2.getResult().getKeyData().size()).isGreaterThanOrEqualTo(44);
        byte[] clientFinished = c2.getOutFrames().toByteArray();

        HandshakerResp r3 = server.next(concat(clientFinished, appData));
        assertThat(r3.getBytesConsumed()).isEqualTo(clientFinished.length);
        assertThat(r3.getResult().getPeerIdentity().getServiceAccount())
            .isEqualTo("client@x.iam.gserviceaccount.com");
        assertThat(r3.getResult().getKeyData()).isEqualTo(c2.getResult().getKeyData());
        assertThat(r3.getResult().getPeerRpcVersions()).isEqualTo(VERSIONS);
      } finally {
        toClientSide.shutdownNow();
        toServerSide.shutdownNow();
      }
    }
  }
}
