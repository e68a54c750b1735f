package dev.tfkit.server;

import dev.tfkit.io.GoogleCloud;
import dev.tfkit.io.Ports;
import io.grpc.ServerCredentials;
import io.grpc.alts.AltsServerCredentials;
import java.util.function.BooleanSupplier;

/**
 * ALTS (Google's Application Layer Transport Security) on the embedded server's gRPC listeners:
 * TF Serving's {@code --use_alts_credentials}. The handshake itself is done by an ALTS handshaker
 * service (on Google Cloud: the metadata server, which knows the VM's service account); grpc-java
 * only frames and encrypts. Off Google Cloud grpc-java's ALTS fails every handshake unless a
 * handshaker address is given, so tfkit refuses to start then, naming {@code
 * --alts_handshaker_service}.
 */
public final class ServerAlts {
  /**
   * Where grpc-java finds the handshaker on Google Cloud when none is given: {@code
   * $GCE_METADATA_HOST}, else this address (the metadata server).
   */
  public static final String DEFAULT_HANDSHAKER_SERVICE = "metadata.google.internal.:8080";

  private final String handshakerService; // null: grpc-java's default (Google Cloud)
  private final boolean untrusted;

  private ServerAlts(String handshakerService, boolean untrusted) {
    this.handshakerService = handshakerService;
    this.untrusted = untrusted;
  }

  /**
   * ALTS with this handshaker service ({@code host:port}; {@code null}: Google Cloud's metadata
   * server, which needs this machine to be on Google Cloud).
   *
   * @throws IllegalArgumentException off Google Cloud without a handshaker address, or for an
   *     address that is not {@code host:port}
   */
  public static ServerAlts of(String handshakerService) {
    return of(handshakerService, GoogleCloud::isThisMachine);
  }

  /** The same with the Google Cloud check given (tests). */
  static ServerAlts of(String handshakerService, BooleanSupplier onGoogleCloud) {
    if (handshakerService == null) {
      if (!onGoogleCloud.getAsBoolean()) {
        throw new IllegalArgumentException(
            "--use_alts_credentials: this machine is not on Google Cloud, so there is no ALTS"
                + " handshaker service at the metadata server (" + DEFAULT_HANDSHAKER_SERVICE
                + ") and every ALTS handshake would fail; give the address of one with"
                + " --alts_handshaker_service=HOST:PORT");
      }
      return new ServerAlts(null, false);
    }
    Ports.checkHostPort(handshakerService, "--alts_handshaker_service");
    // A handshaker named explicitly off Google Cloud is trusted on the operator's word (grpc-java
    // calls this "untrusted ALTS": it cannot check the handshaker is Google's).
    return new ServerAlts(handshakerService, !onGoogleCloud.getAsBoolean());
  }

  /** The handshaker service's address, or null for grpc-java's Google Cloud default. */
  public String handshakerService() {
    return handshakerService;
  }

  /** gRPC server credentials (a new handshaker channel per listener, closed with it). */
  ServerCredentials credentials() {
    if (handshakerService == null) {
      return AltsServerCredentials.create();
    }
    AltsServerCredentials.Builder b =
        AltsServerCredentials.newBuilder().setHandshakerAddressForTesting(handshakerService);
    if (untrusted) {
      b.enableUntrustedAltsForTesting();
    }
    return b.build();
  }

  @Override
  public String toString() {
    return "ServerAlts[handshaker " + (handshakerService == null ? "Google Cloud metadata server"
        : handshakerService) + "]";
  }
}
