//! PLACEHOLDER: pcap/pcapng reading and pcap writing (to be written).
