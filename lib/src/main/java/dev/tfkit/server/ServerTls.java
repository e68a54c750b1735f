package dev.tfkit.server;

import dev.tfkit.server.api.ServerConfigs;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import tensorflow.serving.SslConfig.SSLConfig;

/**
 * TLS of the embedded server's gRPC listeners, from TensorFlow Serving's {@code SSLConfig} (the
 * text proto {@code --ssl_config_file} names): {@code server_key} and {@code server_cert} are the
 * server's PEM key and certificate chain; with {@code client_verify: true} every client must
 * present a certificate signed by {@code custom_ca} (the JDK's trusted CAs when {@code custom_ca}
 * is empty, as TF Serving falls back to gRPC's roots); without it no client certificate is asked
 * for and {@code custom_ca} is not used, as in TF Serving. Every PEM is read and checked here, so a
 * bad config fails before the server loads anything, with the file and field named.
 */
public final class ServerTls {
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");
  /** DER of the PKCS#8 AlgorithmIdentifier for rsaEncryption (OID 1.2.840.113549.1.1.1, NULL). */
  private static final byte[] RSA_ALGORITHM = {
    0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01,
    0x01, 0x05, 0x00
  };

  private final String source;
  private final PrivateKey key;
  private final X509Certificate[] chain;
  private final X509Certificate[] clientCas; // null: the JDK's
  private final boolean clientVerify;

  private ServerTls(
      String source, PrivateKey key, X509Certificate[] chain, X509Certificate[] clientCas,
      boolean clientVerify) {
    this.source = source;
    this.key = key;
    this.chain = chain;
    this.clientCas = clientCas;
    this.clientVerify = clientVerify;
  }

  /** Reads and checks a text-format {@code SSLConfig} file. */
  public static ServerTls read(Path file) throws IOException {
    SSLConfig config = ServerConfigs.parse(file, SSLConfig.newBuilder()).build();
    return of(config, "--ssl_config_file " + file);
  }

  /**
   * Checks an {@code SSLConfig}; {@code source} names where it came from in error messages (a
   * file, a flag).
   */
  public static ServerTls of(SSLConfig config, String source) {
    Objects.requireNonNull(config, "config");
    String where = source == null ? "ssl_config" : source;
    if (config.getServerKey().isBlank()) {
      throw new IllegalArgumentException(where + ": server_key is empty (the server's PEM private key)");
    }
    if (config.getServerCert().isBlank()) {
      throw new IllegalArgumentException(where + ": server_cert is empty (the server's PEM certificate)");
    }
    X509Certificate[] chain = certificates(config.getServerCert(), where, "server_cert");
    PrivateKey key = privateKey(config.getServerKey(), where);
    checkPair(key, chain[0], where);
    X509Certificate[] cas = null;
    if (!config.getCustomCa().isBlank()) {
      cas = certificates(config.getCustomCa(), where, "custom_ca");
    }
    return new ServerTls(where, key, chain, cas, config.getClientVerify());
  }

  /** Whether clients must present a certificate ({@code client_verify}). */
  public boolean clientVerify() {
    return clientVerify;
  }

  /** The server's certificate (the first of {@code server_cert}). */
  public X509Certificate certificate() {
    return chain[0];
  }

  /** gRPC server credentials for these settings. */
  ServerCredentials credentials() {
    try {
      char[] pw = new char[0];
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("server", key, pw, chain);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
      TlsServerCredentials.Builder b =
          TlsServerCredentials.newBuilder().keyManager(kmf.getKeyManagers());
      if (clientVerify) {
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (clientCas == null) {
          tmf.init((KeyStore) null);
        } else {
          KeyStore ts = KeyStore.getInstance("PKCS12");
          ts.load(null, null);
          for (int i = 0; i < clientCas.length; i++) ts.setCertificateEntry("ca" + i, clientCas[i]);
          tmf.init(ts);
        }
        b.trustManager(tmf.getTrustManagers()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      return b.build();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(source + ": cannot use the TLS key and certificates: " + e, e);
    }
  }

  private static List<byte[]> blocks(String pem, String type) {
    List<byte[]> out = new ArrayList<>();
    Matcher m = PEM.matcher(pem);
    while (m.find()) {
      if (type == null || m.group(1).equals(type)) {
        out.add(Base64.getMimeDecoder().decode(m.group(2)));
      }
    }
    return out;
  }

  private static X509Certificate[] certificates(String pem, String where, String field) {
    List<byte[]> ders = blocks(pem, "CERTIFICATE");
    if (ders.isEmpty()) {
      throw new IllegalArgumentException(
          where + ": " + field + " holds no PEM certificate (-----BEGIN CERTIFICATE----- ...)");
    }
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      X509Certificate[] out = new X509Certificate[ders.size()];
      for (int i = 0; i < out.length; i++) {
        Certificate c = cf.generateCertificate(new ByteArrayInputStream(ders.get(i)));
        out[i] = (X509Certificate) c;
      }
      return out;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          where + ": " + field + " is not a valid PEM certificate: " + e.getMessage(), e);
    }
  }

  /** PKCS#8 ({@code PRIVATE KEY}: RSA or EC) or PKCS#1 ({@code RSA PRIVATE KEY}). */
  private static PrivateKey privateKey(String pem, String where) {
    Matcher m = PEM.matcher(pem);
    String type = null;
    List<String> seen = new ArrayList<>();
    while (m.find()) {
      seen.add(m.group(1));
      if (m.group(1).endsWith("PRIVATE KEY")) {
        type = m.group(1);
        break;
      }
    }
    if (type == null) {
      throw new IllegalArgumentException(
          where + ": server_key holds no PEM private key (-----BEGIN PRIVATE KEY----- ...)"
              + (seen.isEmpty() ? "" : "; it holds " + String.join(", ", seen)));
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": server_key is not valid base64 PEM: " + e.getMessage(), e);
    }
    List<String> algorithms;
    switch (type) {
      case "PRIVATE KEY" -> algorithms = List.of("RSA", "EC", "Ed25519", "Ed448");
      case "RSA PRIVATE KEY" -> {
        der = rsaPkcs1ToPkcs8(der);
        algorithms = List.of("RSA");
      }
      default ->
          throw new IllegalArgumentException(
              where + ": server_key is a PEM '" + type + "', not an unencrypted PKCS#8 'PRIVATE KEY'"
                  + " or PKCS#1 'RSA PRIVATE KEY' (convert it with: openssl pkcs8 -topk8 -nocrypt"
                  + " -in key.pem)");
    }
    for (String alg : algorithms) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException | RuntimeException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException(
        where + ": server_key is not a valid " + String.join("/", algorithms) + " private key");
  }

  /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (version 0, rsaEncryption). */
  private static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
    byte[] octets = der(0x04, pkcs1);
    byte[] body = new byte[3 + RSA_ALGORITHM.length + octets.length];
    body[0] = 0x02; // INTEGER 0
    body[1] = 0x01;
    body[2] = 0x00;
    System.arraycopy(RSA_ALGORITHM, 0, body, 3, RSA_ALGORITHM.length);
    System.arraycopy(octets, 0, body, 3 + RSA_ALGORITHM.length, octets.length);
    return der(0x30, body);
  }

  private static byte[] der(int tag, byte[] content) {
    int n = content.length;
    byte[] len;
    if (n < 0x80) {
      len = new byte[] {(byte) n};
    } else {
      byte[] digits = BigInteger.valueOf(n).toByteArray();
      int skip = digits[0] == 0 ? 1 : 0;
      len = new byte[1 + digits.length - skip];
      len[0] = (byte) (0x80 | (digits.length - skip));
      System.arraycopy(digits, skip, len, 1, digits.length - skip);
    }
    byte[] out = new byte[1 + len.length + n];
    out[0] = (byte) tag;
    System.arraycopy(len, 0, out, 1, len.length);
    System.arraycopy(content, 0, out, 1 + len.length, n);
    return out;
  }

  /** Signs with the key and verifies with the certificate, so a mixed-up pair fails here. */
  private static void checkPair(PrivateKey key, X509Certificate cert, String where) {
    String alg =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          case "Ed448" -> "Ed448";
          default -> null;
        };
    if (alg == null) return;
    boolean ok;
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      ok = v.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      ok = false;
    }
    if (!ok) {
      throw new IllegalArgumentException(
          where + ": server_key does not belong to server_cert (" + cert.getSubjectX500Principal() + ")");
    }
  }

  @Override
  public String toString() {
    return "ServerTls[" + source + ", " + chain[0].getSubjectX500Principal()
        + (clientVerify ? ", client_verify" : "") + "]";
  }
}
