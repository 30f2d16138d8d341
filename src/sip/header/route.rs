//! Route and Record-Route (RFC 3261 §20.30, §20.34): comma-separated name-addrs with params.
//! Both decode to [`AddressHeader`] lists through the accessors `routes()` / `record_routes()`.

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::sip::header::{round_trip, AddressHeader, TypedHeader};

    #[test]
    fn route_list() {
        let b = Bytes::from_static(
            b"<sip:proxy1.example.com;lr>, <sip:127.0.0.1:5070;lr;transport=tcp>,\"x\" <sip:services.example.com;lr;unknownwith=value;unknown-no-value>",
        );
        let rs = AddressHeader::parse_list_of(&b, "Route").unwrap();
        assert_eq!(rs.len(), 3);
        assert!(rs.iter().all(|r| r.uri().as_sip().unwrap().lr()));
        let r: AddressHeader = round_trip("<sip:127.0.0.1:5070;lr;transport=tcp>");
        assert_eq!(r.uri().as_sip().unwrap().port, Some(5070));
        assert!(
            AddressHeader::parse_list_of(&Bytes::from_static(b"<sip:a>,,<sip:b>"), "Route")
                .is_err()
        );
    }

    #[test]
    fn record_route_keeps_params() {
        let r: AddressHeader = round_trip("<sip:UserB@example.com;maddr=ss1.example.com>;x=1");
        assert_eq!(r.uri().as_sip().unwrap().maddr(), Some("ss1.example.com"));
        assert_eq!(r.params.value("x"), Some("1"));
        let _ = AddressHeader::parse(&Bytes::from_static(b"<sip:a@b>")).unwrap();
    }
}
