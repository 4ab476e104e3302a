package wv

// Instant messaging primitives (WV-CSP 1.1 section "IM features").

// SendMessageRequest is SendMessage-Request:
//
//	SendMessage-Request (DeliveryReport, MessageInfo, ContentData?)
//
// DeliveryReport asks the server for a DeliveryReport-Request.
type SendMessageRequest struct {
	DeliveryReport Bool        `xml:"DeliveryReport"`
	MessageInfo    MessageInfo `xml:"MessageInfo"`
	ContentData    string      `xml:"ContentData,omitempty"`
}

// SendMessageResponse is SendMessage-Response (Result, MessageID?).
type SendMessageResponse struct {
	Result    Result `xml:"Result"`
	MessageID string `xml:"MessageID,omitempty"`
}

// NewMessage is NewMessage (MessageInfo, ContentData?): the server pushes
// a message to the client.
type NewMessage struct {
	MessageInfo MessageInfo `xml:"MessageInfo"`
	ContentData string      `xml:"ContentData,omitempty"`
}

// MessageDelivered is MessageDelivered (MessageID): the client confirms a
// NewMessage.
type MessageDelivered struct {
	MessageID string `xml:"MessageID"`
}

// DeliveryReportRequest is DeliveryReport-Request
// (Result, DeliveryTime?, MessageInfo): the outcome of a message sent with
// DeliveryReport T. DeliveryTime is kept as sent (ISO 8601 basic format).
type DeliveryReportRequest struct {
	Result       Result      `xml:"Result"`
	DeliveryTime string      `xml:"DeliveryTime,omitempty"`
	MessageInfo  MessageInfo `xml:"MessageInfo"`
}

// GetMessageRequest is GetMessage-Request (MessageID).
type GetMessageRequest struct {
	MessageID string `xml:"MessageID"`
}

// GetMessageResponse is GetMessage-Response (MessageInfo, ContentData?).
type GetMessageResponse struct {
	MessageInfo MessageInfo `xml:"MessageInfo"`
	ContentData string      `xml:"ContentData,omitempty"`
}

// MessageNotification is MessageNotification (MessageInfo): a message is
// waiting to be fetched with GetMessage-Request.
type MessageNotification struct {
	MessageInfo MessageInfo `xml:"MessageInfo"`
}

// MessageInfo describes one instant message:
//
//	MessageInfo (MessageID?, MessageURI?, ContentType?, ContentEncoding?,
//	             ContentSize, Recipient, Sender, DateTime?, Validity?)
//
// DateTime is kept as sent (ISO 8601 basic, e.g. 20010925T1340Z); Validity
// is in seconds, 0 when absent. ContentEncoding is "None" or "BASE64".
type MessageInfo struct {
	MessageID       string    `xml:"MessageID,omitempty"`
	MessageURI      string    `xml:"MessageURI,omitempty"`
	ContentType     string    `xml:"ContentType,omitempty"`
	ContentEncoding string    `xml:"ContentEncoding,omitempty"`
	ContentSize     uint32    `xml:"ContentSize"`
	Recipient       Recipient `xml:"Recipient"`
	Sender          Sender    `xml:"Sender"`
	DateTime        string    `xml:"DateTime,omitempty"`
	Validity        uint32    `xml:"Validity,omitempty"`
}

// Recipient is Recipient (User*, Group*, ContactList*).
type Recipient struct {
	Users        []User   `xml:"User"`
	Groups       []Group  `xml:"Group"`
	ContactLists []string `xml:"ContactList"`
}

// Sender is Sender (User | Group); exactly one is set.
type Sender struct {
	User  *User  `xml:"User,omitempty"`
	Group *Group `xml:"Group,omitempty"`
}

// User is User (UserID, ClientID?).
type User struct {
	UserID   string    `xml:"UserID"`
	ClientID *ClientID `xml:"ClientID,omitempty"`
}

// Group is Group (GroupID | ScreenName).
type Group struct {
	GroupID    string      `xml:"GroupID,omitempty"`
	ScreenName *ScreenName `xml:"ScreenName,omitempty"`
}

// ScreenName is ScreenName (SName, GroupID): a nickname within a group.
type ScreenName struct {
	SName   string `xml:"SName"`
	GroupID string `xml:"GroupID"`
}

// PrimitiveName implements Primitive.
func (*SendMessageRequest) PrimitiveName() string { return "SendMessage-Request" }

// PrimitiveName implements Primitive.
func (*SendMessageResponse) PrimitiveName() string { return "SendMessage-Response" }

// PrimitiveName implements Primitive.
func (*NewMessage) PrimitiveName() string { return "NewMessage" }

// PrimitiveName implements Primitive.
func (*MessageDelivered) PrimitiveName() string { return "MessageDelivered" }

// PrimitiveName implements Primitive.
func (*DeliveryReportRequest) PrimitiveName() string { return "DeliveryReport-Request" }

// PrimitiveName implements Primitive.
func (*GetMessageRequest) PrimitiveName() string { return "GetMessage-Request" }

// PrimitiveName implements Primitive.
func (*GetMessageResponse) PrimitiveName() string { return "GetMessage-Response" }

// PrimitiveName implements Primitive.
func (*MessageNotification) PrimitiveName() string { return "MessageNotification" }
