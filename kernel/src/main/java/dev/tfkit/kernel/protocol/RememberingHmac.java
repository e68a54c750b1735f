package dev.tfkit.kernel.protocol;

import io.github.spencerpark.jupyter.messages.HMACGenerator;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;

/**
 * The connection's HMAC signer, which also remembers, per thread, the last signature it computed.
 * basekernel's socket compares a received message's signature with the one it computes and keeps
 * neither; after a message is read and verified on a thread, the signature computed there is the
 * one the message carried, which is what the replay check needs.
 */
final class RememberingHmac extends HMACGenerator {
  private final ThreadLocal<String> last = new ThreadLocal<>();

  RememberingHmac(String scheme, String key) throws NoSuchAlgorithmException, InvalidKeyException {
    super(scheme, key);
  }

  @Override
  public String calculateSignature(byte[]... parts) {
    String signature = super.calculateSignature(parts);
    last.set(signature);
    return signature;
  }

  /** Forgets this thread's last signature (before reading a message). */
  void clear() {
    last.remove();
  }

  /** The signature last computed on this thread, or null. */
  String lastOnThisThread() {
    return last.get();
  }
}
