package dev.tfkit.server.tensorflow;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads a TFRecord file (length, masked CRC-32C of the length, data, masked CRC-32C of the data),
 * checking both checksums so a damaged file is reported, not half-read.
 */
final class TfRecords {
  private TfRecords() {}

  static List<byte[]> read(InputStream raw, String name, int maxRecords, long maxRecordBytes)
      throws IOException {
    DataInputStream in = new DataInputStream(raw);
    List<byte[]> out = new ArrayList<>();
    byte[] header = new byte[12];
    while (true) {
      int first = in.read();
      if (first < 0) {
        return out;
      }
      header[0] = (byte) first;
      try {
        in.readFully(header, 1, 11);
      } catch (EOFException e) {
        throw new IOException(name + ": record " + out.size() + " has a truncated header");
      }
      ByteBuffer hb = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
      long length = hb.getLong(0);
      int lengthCrc = hb.getInt(8);
      if (masked(header, 0, 8) != lengthCrc) {
        throw new IOException(name + ": record " + out.size() + " has a corrupt length checksum");
      }
      if (length < 0 || length > maxRecordBytes) {
        throw new IOException(name + ": record " + out.size() + " is " + length + " bytes, too large");
      }
      if (out.size() >= maxRecords) {
        throw new IOException(name + ": more than " + maxRecords + " records");
      }
      byte[] data = new byte[(int) length];
      byte[] crc = new byte[4];
      try {
        in.readFully(data);
        in.readFully(crc);
      } catch (EOFException e) {
        throw new IOException(name + ": record " + out.size() + " is truncated");
      }
      int dataCrc = ByteBuffer.wrap(crc).order(ByteOrder.LITTLE_ENDIAN).getInt();
      if (masked(data, 0, data.length) != dataCrc) {
        throw new IOException(name + ": record " + out.size() + " has a corrupt data checksum");
      }
      out.add(data);
    }
  }

  /** Encodes records (used by tests and by tools that write warmup files). */
  static byte[] write(List<byte[]> records) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] r : records) {
      ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      h.putLong(0, r.length);
      byte[] hb = h.array();
      h.putInt(8, masked(hb, 0, 8));
      out.writeBytes(h.array());
      out.writeBytes(r);
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(masked(r, 0, r.length)).array());
    }
    return out.toByteArray();
  }

  static int masked(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    int crc = (int) c.getValue();
    return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
  }
}
