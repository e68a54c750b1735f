package dev.tfkit.serving;

import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.util.CertificateUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS settings of a client connection, the client side of TF Serving's {@code ssl_config}: trust
 * the system's CAs or one CA (the {@code custom_ca} the server's certificate is signed with), and
 * optionally present a client certificate (for a server with {@code client_verify: true}). PEM
 * text, as in {@code ssl_config}; use {@link #trustingFile} to read files.
 *
 * @param caPem PEM of the CA certificate(s) to trust, or {@code null} for the system's
 * @param clientCertPem PEM certificate chain to present, or {@code null}
 * @param clientKeyPem PEM PKCS#8 private key of that certificate, or {@code null}
 * @param authority host name to verify the server's certificate against instead of the target's
 *     ({@code null}: the target's), for servers reached by an address their certificate lacks
 */
public record Tls(String caPem, String clientCertPem, String clientKeyPem, String authority) {
  /** Checks that a client certificate comes with its key. */
  public Tls {
    if ((clientCertPem == null) != (clientKeyPem == null)) {
      throw new IllegalArgumentException("a TLS client certificate needs both certificate and key");
    }
  }

  /** TLS trusting the system's certificate authorities. */
  public static Tls systemTrust() {
    return new Tls(null, null, null, null);
  }

  /** TLS trusting only the CA certificate(s) in this PEM text. */
  public static Tls trusting(String caPem) {
    return new Tls(caPem, null, null, null);
  }

  /** TLS trusting only the CA certificate(s) in this PEM file. */
  public static Tls trustingFile(Path caPem) {
    return trusting(read(caPem));
  }

  /** The same, also presenting this client certificate chain and PKCS#8 key (PEM text). */
  public Tls withClientCertificate(String certPem, String keyPem) {
    return new Tls(caPem, certPem, keyPem, authority);
  }

  /** The same, also presenting the client certificate and key in these PEM files. */
  public Tls withClientCertificateFiles(Path certPem, Path keyPem) {
    return withClientCertificate(read(certPem), read(keyPem));
  }

  /** The same, verifying the server's certificate against this host name. */
  public Tls withAuthority(String authority) {
    return new Tls(caPem, clientCertPem, clientKeyPem, authority);
  }

  /** gRPC channel credentials for these settings. */
  ChannelCredentials grpcCredentials() {
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    try {
      if (caPem != null) b.trustManager(stream(caPem));
      if (clientCertPem != null) b.keyManager(stream(clientCertPem), stream(clientKeyPem));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read TLS PEM: " + e.getMessage(), e);
    }
    return b.build();
  }

  /** A JDK SSL context for these settings (the REST client's). */
  SSLContext sslContext() {
    try {
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (caPem == null) {
        tmf.init((KeyStore) null);
      } else {
        KeyStore ts = KeyStore.getInstance(KeyStore.getDefaultType());
        ts.load(null, null);
        X509Certificate[] cas = CertificateUtils.getX509Certificates(stream(caPem));
        if (cas.length == 0) throw new IllegalArgumentException("TLS CA PEM holds no certificate");
        for (int i = 0; i < cas.length; i++) ts.setCertificateEntry("ca" + i, cas[i]);
        tmf.init(ts);
      }
      KeyManagerFactory kmf = null;
      if (clientCertPem != null) {
        X509Certificate[] chain = CertificateUtils.getX509Certificates(stream(clientCertPem));
        PrivateKey key = CertificateUtils.getPrivateKey(stream(clientKeyPem));
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        char[] pw = new char[0];
        ks.setKeyEntry("client", key, pw, chain);
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("cannot use TLS certificates: " + e.getMessage(), e);
    }
  }

  private static InputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TLS PEM file " + p, e);
    }
  }

  /** Never prints key material. */
  @Override
  public String toString() {
    return "Tls[" + (caPem == null ? "system trust" : "custom CA")
        + (clientCertPem == null ? "" : ", client certificate")
        + (authority == null ? "" : ", authority " + authority) + "]";
  }
}
