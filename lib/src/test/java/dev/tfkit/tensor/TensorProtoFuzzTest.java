package dev.tfkit.tensor;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import org.tensorflow.Tensor;
import org.tensorflow.proto.TensorProto;

/**
 * Fuzzes the request-tensor path from bytes to a native tensor: parse a TensorProto, check it
 * against TensorFlow's limits, decode it ({@link TensorValue#fromProto}) and make the TF tensor.
 * Anything but a clean {@link IllegalArgumentException} is a finding — and so is a native abort,
 * which ends the fuzzing process. {@code mvn verify} runs the seeds in {@code
 * TensorProtoFuzzTestInputs/} and then fuzzes for a bounded time (see lib/pom.xml).
 */
class TensorProtoFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void decodesOrRefusesCleanly(byte[] bytes) {
    TensorProto proto;
    try {
      proto = TensorProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    try {
      NativeLimits.checkTensor(proto, "fuzz");
    } catch (IllegalArgumentException e) {
      return;
    }
    TensorValue v;
    try {
      v = TensorValue.fromProto(proto);
    } catch (IllegalArgumentException e) {
      return;
    }
    if (v.size() > (1 << 16)) {
      return; // valid but big: the decode was the point, not a large native copy per input
    }
    try (Tensor t = v.toTensor()) {
      TensorValue back = TensorValue.fromTensor(t);
      if (!back.dtype().equals(v.dtype()) || back.size() != v.size()) {
        throw new IllegalStateException("round trip changed " + v + " into " + back);
      }
    } catch (IllegalArgumentException e) {
      // dtypes TF Java has no tensor type for are refused with a hint
    }
  }
}
