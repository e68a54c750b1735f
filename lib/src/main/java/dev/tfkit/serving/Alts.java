package dev.tfkit.serving;

import dev.tfkit.io.GoogleCloud;
import dev.tfkit.io.Ports;
import io.grpc.ChannelCredentials;
import io.grpc.alts.AltsChannelCredentials;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * ALTS settings of a gRPC client connection, for a server started with TF Serving's {@code
 * --use_alts_credentials}: which service accounts the server may run as (none: any), and which
 * ALTS handshaker service does the handshake (none: Google Cloud's metadata server, as grpc-java).
 * ALTS is gRPC only: TF Serving's REST API is plain HTTP.
 *
 * @param targetServiceAccounts the server must authenticate as one of these (empty: any
 *     service account the handshaker accepts)
 * @param handshakerService {@code host:port} of the handshaker service, or {@code null} for
 *     Google Cloud's; off Google Cloud one must be given
 */
public record Alts(List<String> targetServiceAccounts, String handshakerService) {
  /** Checks and copies the values. */
  public Alts {
    targetServiceAccounts = List.copyOf(targetServiceAccounts);
    for (String sa : targetServiceAccounts) {
      if (sa.isBlank()) throw new IllegalArgumentException("an ALTS target service account is empty");
    }
    if (handshakerService != null) {
      Ports.checkHostPort(handshakerService, "ALTS handshaker service");
    }
  }

  /** ALTS on Google Cloud, accepting a server of any service account. */
  public static Alts onGoogleCloud() {
    return new Alts(List.of(), null);
  }

  /** ALTS accepting only a server that authenticates as one of these service accounts. */
  public static Alts targeting(String... serviceAccounts) {
    return new Alts(List.of(serviceAccounts), null);
  }

  /** The same, also accepting a server that runs as {@code serviceAccount}. */
  public Alts withTargetServiceAccount(String serviceAccount) {
    List<String> all = new ArrayList<>(targetServiceAccounts);
    all.add(Objects.requireNonNull(serviceAccount, "serviceAccount"));
    return new Alts(all, handshakerService);
  }

  /**
   * The same with this handshaker service ({@code host:port}), which lets ALTS run off Google
   * Cloud (the server's counterpart is {@code --alts_handshaker_service}).
   */
  public Alts withHandshakerService(String hostPort) {
    return new Alts(targetServiceAccounts, Objects.requireNonNull(hostPort, "hostPort"));
  }

  /** gRPC channel credentials; refused off Google Cloud without a handshaker service. */
  ChannelCredentials grpcCredentials() {
    return grpcCredentials(GoogleCloud::isThisMachine);
  }

  ChannelCredentials grpcCredentials(BooleanSupplier onGoogleCloud) {
    boolean gcp = onGoogleCloud.getAsBoolean();
    if (handshakerService == null && !gcp) {
      throw new IllegalArgumentException(
          "ALTS: this machine is not on Google Cloud, so there is no ALTS handshaker service at"
              + " the metadata server and every handshake would fail; give the address of one:"
              + " Alts.withHandshakerService(\"host:port\")");
    }
    AltsChannelCredentials.Builder b = AltsChannelCredentials.newBuilder();
    targetServiceAccounts.forEach(b::addTargetServiceAccount);
    if (handshakerService != null) {
      b.setHandshakerAddressForTesting(handshakerService);
      // off Google Cloud grpc-java calls a handshaker it cannot vouch for "untrusted"; the caller
      // named it, so it is trusted on their word
      if (!gcp) b.enableUntrustedAltsForTesting();
    }
    return b.build();
  }

  @Override
  public String toString() {
    return "Alts[" + (targetServiceAccounts.isEmpty() ? "any server" : "server as " + targetServiceAccounts)
        + ", handshaker " + (handshakerService == null ? "of Google Cloud" : handshakerService) + "]";
  }
}
