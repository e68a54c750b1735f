package dev.tfkit.server;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates made for one test run with Bouncy Castle: a CA, and certificates it signs. */
final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private TestCertificates() {}

  /** A key pair and its certificate. */
  record Issued(KeyPair keys, X509Certificate cert) {
    String certPem() {
      try {
        return pem("CERTIFICATE", cert.getEncoded());
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    /** PKCS#8 "PRIVATE KEY". */
    String keyPem() {
      return pem("PRIVATE KEY", keys.getPrivate().getEncoded());
    }

    /** PKCS#1 "RSA PRIVATE KEY" (RSA keys only), as older openssl genrsa writes. */
    String rsaPkcs1KeyPem() throws IOException {
      byte[] pkcs1 =
          PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded())
              .parsePrivateKey().toASN1Primitive().getEncoded();
      return pem("RSA PRIVATE KEY", pkcs1);
    }
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static KeyPair rsaKeys() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  /** A self-signed CA. */
  static Issued ca(String name) throws Exception {
    KeyPair keys = ecKeys();
    X500Name subject = new X500Name("CN=" + name);
    return new Issued(keys, build(subject, keys, subject, keys, true, false));
  }

  /** A server certificate for localhost and 127.0.0.1, signed by {@code ca}. */
  static Issued server(Issued ca, KeyPair keys) throws Exception {
    return new Issued(keys, build(name(ca), ca.keys(), new X500Name("CN=localhost"), keys, false, true));
  }

  /** A client certificate signed by {@code ca}. */
  static Issued client(Issued ca, String name) throws Exception {
    KeyPair keys = ecKeys();
    return new Issued(keys, build(name(ca), ca.keys(), new X500Name("CN=" + name), keys, false, false));
  }

  private static X500Name name(Issued ca) {
    return new X500Name(ca.cert().getSubjectX500Principal().getName());
  }

  private static X509Certificate build(
      X500Name issuer, KeyPair issuerKeys, X500Name subject, KeyPair keys, boolean isCa,
      boolean serverNames) throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer,
            BigInteger.valueOf(SERIAL.incrementAndGet()),
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(Duration.ofDays(1))),
            subject,
            keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    b.addExtension(
        Extension.keyUsage,
        true,
        new KeyUsage(isCa ? KeyUsage.keyCertSign | KeyUsage.cRLSign
            : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    if (serverNames) {
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1")
          }));
    }
    String alg = issuerKeys.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder(alg).build(issuerKeys.getPrivate())));
  }
}
