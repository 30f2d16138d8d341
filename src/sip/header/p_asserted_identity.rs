//! P-Asserted-Identity (RFC 3325 §9.1): one or two name-addrs (a SIP or SIPS URI and/or a
//! tel URI), decoded to [`AddressHeader`](super::AddressHeader) through
//! `p_asserted_identities()`.

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::sip::header::{round_trip, AddressHeader};
    use crate::sip::uri::Uri;

    #[test]
    fn sip_and_tel_identities() {
        let b =
            Bytes::from_static(b"\"Cullen Jennings\" <sip:fluffy@cisco.com>, <tel:+14085264000>");
        let ids = AddressHeader::parse_list_of(&b, "P-Asserted-Identity").unwrap();
        assert_eq!(ids.len(), 2);
        assert!(matches!(ids[1].uri(), Uri::Tel(_)));
        let id: AddressHeader = round_trip("\"Cullen Jennings\" <sip:fluffy@cisco.com>");
        assert_eq!(id.addr.display_name().as_deref(), Some("Cullen Jennings"));
    }
}
