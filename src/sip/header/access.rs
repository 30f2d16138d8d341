//! Typed access to the raw header multimap: `Headers::via()`, `Request::cseq()`… decode the
//! raw values on demand. Defined here rather than beside `Headers` so the message model need
//! not know the typed headers (the arrow points from here to it).

use bytes::Bytes;

use super::{
    AddressHeader, Allow, AuthHeader, CSeq, CallId, Contact, ContentLength, ContentType, Date,
    Expires, HeaderError, MaxForwards, MinSe, OptionTags, Reason, RetryAfter, Server,
    SessionExpires, TypedHeader, UserAgent, Via,
};
use crate::sip::message::{HeaderName, Headers, Message, Request, Response};

impl Headers {
    /// The only raw value of a single-valued header: `Ok(None)` when absent, `Multiple` when
    /// repeated (RFC 4475 §3.3.8 asks for a 400 then).
    #[inline]
    fn single_value<'a>(&'a self, name: &'a HeaderName) -> Result<Option<&'a Bytes>, HeaderError> {
        let mut it = self.get_all(name);
        let v = it.next();
        if v.is_some() && it.next().is_some() {
            return Err(HeaderError::Multiple(name.static_name()));
        }
        Ok(v)
    }

    /// The typed value of a single-valued header; `Ok(None)` when absent.
    #[inline]
    pub fn typed_single<T: TypedHeader>(
        &self,
        name: &HeaderName,
    ) -> Result<Option<T>, HeaderError> {
        match self.single_value(name)? {
            Some(v) => T::parse(v)
                .map(Some)
                .map_err(|e| e.relabel(name.static_name())),
            None => Ok(None),
        }
    }

    /// A mandatory single-valued header. (Not `typed_single` + `ok_or`: the typed value is
    /// returned straight from its parser, without moving it through an `Option`.)
    #[inline]
    pub fn typed_required<T: TypedHeader>(&self, name: &HeaderName) -> Result<T, HeaderError> {
        let v = self
            .single_value(name)?
            .ok_or(HeaderError::Missing(name.static_name()))?;
        T::parse(v).map_err(|e| e.relabel(name.static_name()))
    }

    /// Every element of a list header, across all its lines, in order.
    pub fn typed_list<T: TypedHeader>(&self, name: &HeaderName) -> Result<Vec<T>, HeaderError> {
        let label = name.static_name();
        let mut out = Vec::new();
        for v in self.get_all(name) {
            out.extend(T::parse_list(v).map_err(|e| e.relabel(label))?);
        }
        Ok(out)
    }

    /// Every line of a header parsed whole (headers whose values contain commas of their own,
    /// such as WWW-Authenticate).
    pub fn typed_lines<T: TypedHeader>(&self, name: &HeaderName) -> Result<Vec<T>, HeaderError> {
        let label = name.static_name();
        self.get_all(name)
            .map(|v| T::parse(v).map_err(|e| e.relabel(label)))
            .collect()
    }

    /// Replaces every value of `name` with `value` printed.
    pub fn set_typed<T: TypedHeader>(&mut self, name: HeaderName, value: &T) {
        self.set(name, value.to_value());
    }

    /// Appends `value` printed.
    pub fn push_typed<T: TypedHeader>(&mut self, name: HeaderName, value: &T) {
        self.push(name, value.to_value());
    }

    /// The top Via (the first element of the first Via line): the one that names this hop.
    pub fn via(&self) -> Result<Via, HeaderError> {
        let v = self
            .get(&HeaderName::Via)
            .ok_or(HeaderError::Missing("Via"))?;
        super::parse_first_via(v)
    }
    pub fn vias(&self) -> Result<Vec<Via>, HeaderError> {
        self.typed_list(&HeaderName::Via)
    }
    pub fn from(&self) -> Result<AddressHeader, HeaderError> {
        self.typed_required(&HeaderName::From)
    }
    pub fn to(&self) -> Result<AddressHeader, HeaderError> {
        self.typed_required(&HeaderName::To)
    }
    pub fn call_id(&self) -> Result<CallId, HeaderError> {
        self.typed_required(&HeaderName::CallId)
    }
    pub fn cseq(&self) -> Result<CSeq, HeaderError> {
        self.typed_required(&HeaderName::CSeq)
    }
    /// Absent in RFC 2543 requests (RFC 4475 §3.4.1); proxies add it (§16.6).
    pub fn max_forwards(&self) -> Result<Option<MaxForwards>, HeaderError> {
        self.typed_single(&HeaderName::MaxForwards)
    }
    pub fn contacts(&self) -> Result<Vec<Contact>, HeaderError> {
        self.typed_list(&HeaderName::Contact)
    }
    pub fn content_length(&self) -> Result<Option<ContentLength>, HeaderError> {
        self.typed_single(&HeaderName::ContentLength)
    }
    pub fn content_type(&self) -> Result<Option<ContentType>, HeaderError> {
        self.typed_single(&HeaderName::ContentType)
    }
    pub fn routes(&self) -> Result<Vec<AddressHeader>, HeaderError> {
        self.address_list(&HeaderName::Route)
    }
    pub fn record_routes(&self) -> Result<Vec<AddressHeader>, HeaderError> {
        self.address_list(&HeaderName::RecordRoute)
    }
    pub fn p_asserted_identities(&self) -> Result<Vec<AddressHeader>, HeaderError> {
        self.address_list(&HeaderName::PAssertedIdentity)
    }
    fn address_list(&self, name: &HeaderName) -> Result<Vec<AddressHeader>, HeaderError> {
        let label = name.static_name();
        let mut out = Vec::new();
        for v in self.get_all(name) {
            out.extend(AddressHeader::parse_list_of(v, label)?);
        }
        Ok(out)
    }
    /// `Ok(None)` when absent (the peer did not say), else every method of every Allow line.
    pub fn allow(&self) -> Result<Option<Allow>, HeaderError> {
        if self.get(&HeaderName::Allow).is_none() {
            return Ok(None);
        }
        let mut all = Allow::default();
        for a in self.typed_lines::<Allow>(&HeaderName::Allow)? {
            all.0.extend(a.0);
        }
        Ok(Some(all))
    }
    fn option_tags(&self, name: &HeaderName) -> Result<OptionTags, HeaderError> {
        let mut all = OptionTags::default();
        for t in self.typed_lines::<OptionTags>(name)? {
            all.0.extend(t.0);
        }
        Ok(all)
    }
    pub fn supported(&self) -> Result<OptionTags, HeaderError> {
        self.option_tags(&HeaderName::Supported)
    }
    pub fn require(&self) -> Result<OptionTags, HeaderError> {
        self.option_tags(&HeaderName::Require)
    }
    pub fn proxy_require(&self) -> Result<OptionTags, HeaderError> {
        self.option_tags(&HeaderName::ProxyRequire)
    }
    pub fn unsupported(&self) -> Result<OptionTags, HeaderError> {
        self.option_tags(&HeaderName::Unsupported)
    }
    pub fn session_expires(&self) -> Result<Option<SessionExpires>, HeaderError> {
        self.typed_single(&HeaderName::SessionExpires)
    }
    pub fn min_se(&self) -> Result<Option<MinSe>, HeaderError> {
        self.typed_single(&HeaderName::MinSe)
    }
    pub fn user_agent(&self) -> Result<Option<UserAgent>, HeaderError> {
        self.typed_single(&HeaderName::UserAgent)
    }
    pub fn server(&self) -> Result<Option<Server>, HeaderError> {
        self.typed_single(&HeaderName::Server)
    }
    pub fn reasons(&self) -> Result<Vec<Reason>, HeaderError> {
        self.typed_list(&HeaderName::Reason)
    }
    pub fn www_authenticate(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.typed_lines(&HeaderName::WwwAuthenticate)
    }
    pub fn authorization(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.typed_lines(&HeaderName::Authorization)
    }
    pub fn proxy_authenticate(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.typed_lines(&HeaderName::ProxyAuthenticate)
    }
    pub fn proxy_authorization(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.typed_lines(&HeaderName::ProxyAuthorization)
    }
    pub fn retry_after(&self) -> Result<Option<RetryAfter>, HeaderError> {
        self.typed_single(&HeaderName::RetryAfter)
    }
    pub fn expires(&self) -> Result<Option<Expires>, HeaderError> {
        self.typed_single(&HeaderName::Expires)
    }
    pub fn date(&self) -> Result<Option<Date>, HeaderError> {
        self.typed_single(&HeaderName::Date)
    }
}

macro_rules! delegate_typed_accessors {
    ($($name:ident -> $ret:ty;)*) => {
        impl Request {
            $(
                #[doc = concat!("See [`Headers::", stringify!($name), "`].")]
                pub fn $name(&self) -> $ret { self.headers.$name() }
            )*
        }
        impl Response {
            $(
                #[doc = concat!("See [`Headers::", stringify!($name), "`].")]
                pub fn $name(&self) -> $ret { self.headers.$name() }
            )*
        }
        impl Message {
            $(
                #[doc = concat!("See [`Headers::", stringify!($name), "`].")]
                pub fn $name(&self) -> $ret { self.headers().$name() }
            )*
        }
    };
}

delegate_typed_accessors! {
    via -> Result<Via, HeaderError>;
    vias -> Result<Vec<Via>, HeaderError>;
    from -> Result<AddressHeader, HeaderError>;
    to -> Result<AddressHeader, HeaderError>;
    call_id -> Result<CallId, HeaderError>;
    cseq -> Result<CSeq, HeaderError>;
    max_forwards -> Result<Option<MaxForwards>, HeaderError>;
    contacts -> Result<Vec<Contact>, HeaderError>;
    content_length -> Result<Option<ContentLength>, HeaderError>;
    content_type -> Result<Option<ContentType>, HeaderError>;
    routes -> Result<Vec<AddressHeader>, HeaderError>;
    record_routes -> Result<Vec<AddressHeader>, HeaderError>;
    p_asserted_identities -> Result<Vec<AddressHeader>, HeaderError>;
    allow -> Result<Option<Allow>, HeaderError>;
    supported -> Result<OptionTags, HeaderError>;
    require -> Result<OptionTags, HeaderError>;
    proxy_require -> Result<OptionTags, HeaderError>;
    unsupported -> Result<OptionTags, HeaderError>;
    session_expires -> Result<Option<SessionExpires>, HeaderError>;
    min_se -> Result<Option<MinSe>, HeaderError>;
    user_agent -> Result<Option<UserAgent>, HeaderError>;
    server -> Result<Option<Server>, HeaderError>;
    reasons -> Result<Vec<Reason>, HeaderError>;
    www_authenticate -> Result<Vec<AuthHeader>, HeaderError>;
    authorization -> Result<Vec<AuthHeader>, HeaderError>;
    proxy_authenticate -> Result<Vec<AuthHeader>, HeaderError>;
    proxy_authorization -> Result<Vec<AuthHeader>, HeaderError>;
    retry_after -> Result<Option<RetryAfter>, HeaderError>;
    expires -> Result<Option<Expires>, HeaderError>;
    date -> Result<Option<Date>, HeaderError>;
}
