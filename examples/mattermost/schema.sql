-- Mattermost (the example): the Users table as Mattermost Server creates
-- it on MySQL, the Bots table that tells a bot account from a person, and
-- Teams with their TeamMembers.
-- Names and types follow scripts/mattermost-mysql-6.0.0.sql in
-- mattermost/mattermost (the schema dump of Mattermost 6.0 that the
-- migrations under server/channels/db/migrations/mysql reproduce); the
-- DDL is ours. Later releases add columns this example does not use
-- (LastLogin, MfaUsedTimestamps); the columns mapped are unchanged.
--
-- Ids are 26-character strings Mattermost generates (model.NewId: base32
-- of a random UUID). Times are epoch milliseconds (bigint). A user is
-- deactivated by setting DeleteAt to the time of deactivation; 0 means
-- active. AuthService says how the user signs in: '' (e-mail and
-- password), 'saml', 'gitlab', 'ldap', ...; AuthData is the identity
-- provider's id for the user (the SAML Id attribute).
--
-- A team is archived by setting its DeleteAt; Type is 'O' (open) or 'I'
-- (invite only); Name is the team's URL name. A TeamMembers row is a
-- membership while its DeleteAt is 0: Mattermost keeps the row of a user
-- who leaves the team and stamps DeleteAt, and sets it back to 0 when she
-- joins again. SchemeUser/SchemeAdmin/SchemeGuest are the member's role
-- in the team's permission scheme; Roles holds roles outside it ('').

CREATE TABLE Users (
  Id                 varchar(26)  NOT NULL,
  CreateAt           bigint(20)   DEFAULT NULL,
  UpdateAt           bigint(20)   DEFAULT NULL,
  DeleteAt           bigint(20)   DEFAULT NULL,
  Username           varchar(64)  DEFAULT NULL,
  Password           varchar(128) DEFAULT NULL,
  AuthData           varchar(128) DEFAULT NULL,
  AuthService        varchar(32)  DEFAULT NULL,
  Email              varchar(128) DEFAULT NULL,
  EmailVerified      tinyint(1)   DEFAULT NULL,
  Nickname           varchar(64)  DEFAULT NULL,
  FirstName          varchar(64)  DEFAULT NULL,
  LastName           varchar(64)  DEFAULT NULL,
  Roles              text,
  AllowMarketing     tinyint(1)   DEFAULT NULL,
  Props              json         DEFAULT NULL,
  NotifyProps        json         DEFAULT NULL,
  LastPasswordUpdate bigint(20)   DEFAULT NULL,
  LastPictureUpdate  bigint(20)   DEFAULT NULL,
  FailedAttempts     int(11)      DEFAULT NULL,
  Locale             varchar(5)   DEFAULT NULL,
  MfaActive          tinyint(1)   DEFAULT NULL,
  MfaSecret          varchar(128) DEFAULT NULL,
  Position           varchar(128) DEFAULT NULL,
  Timezone           json         DEFAULT NULL,
  RemoteId           varchar(26)  DEFAULT NULL,
  PRIMARY KEY (Id),
  UNIQUE KEY Username (Username),
  UNIQUE KEY AuthData (AuthData),
  UNIQUE KEY Email (Email),
  KEY idx_users_update_at (UpdateAt),
  KEY idx_users_create_at (CreateAt),
  KEY idx_users_delete_at (DeleteAt)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE Teams (
  Id                 varchar(26)  NOT NULL,
  CreateAt           bigint(20)   DEFAULT NULL,
  UpdateAt           bigint(20)   DEFAULT NULL,
  DeleteAt           bigint(20)   DEFAULT NULL,
  DisplayName        varchar(64)  DEFAULT NULL,
  Name               varchar(64)  DEFAULT NULL,
  Description        varchar(255) DEFAULT NULL,
  Email              varchar(128) DEFAULT NULL,
  Type               varchar(255) DEFAULT NULL,
  CompanyName        varchar(64)  DEFAULT NULL,
  AllowedDomains     text,
  InviteId           varchar(32)  DEFAULT NULL,
  SchemeId           varchar(26)  DEFAULT NULL,
  AllowOpenInvite    tinyint(1)   DEFAULT NULL,
  LastTeamIconUpdate bigint(20)   DEFAULT NULL,
  GroupConstrained   tinyint(1)   DEFAULT NULL,
  PRIMARY KEY (Id),
  UNIQUE KEY Name (Name),
  KEY idx_teams_invite_id (InviteId),
  KEY idx_teams_update_at (UpdateAt),
  KEY idx_teams_create_at (CreateAt),
  KEY idx_teams_delete_at (DeleteAt),
  KEY idx_teams_scheme_id (SchemeId)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE TeamMembers (
  TeamId      varchar(26) NOT NULL,
  UserId      varchar(26) NOT NULL,
  Roles       varchar(64) DEFAULT NULL,
  DeleteAt    bigint(20)  DEFAULT NULL,
  SchemeUser  tinyint(4)  DEFAULT NULL,
  SchemeAdmin tinyint(4)  DEFAULT NULL,
  SchemeGuest tinyint(4)  DEFAULT NULL,
  PRIMARY KEY (TeamId, UserId),
  KEY idx_teammembers_user_id (UserId),
  KEY idx_teammembers_delete_at (DeleteAt)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE Bots (
  UserId         varchar(26)  NOT NULL,
  Description    text,
  OwnerId        varchar(190) DEFAULT NULL,
  CreateAt       bigint(20)   DEFAULT NULL,
  UpdateAt       bigint(20)   DEFAULT NULL,
  DeleteAt       bigint(20)   DEFAULT NULL,
  LastIconUpdate bigint(20)   DEFAULT NULL,
  PRIMARY KEY (UserId)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The system admin (e-mail login), a bot (its Users row has no
-- AuthService, as Mattermost creates bots), Gina who signs in with
-- GitLab, and four people who sign in through SAML: Carol was
-- deactivated in Mattermost on 2025-01-07.
INSERT INTO Users (Id, CreateAt, UpdateAt, DeleteAt, Username, Password, AuthData, AuthService, Email, EmailVerified, Nickname, FirstName, LastName, Roles, Locale, Position) VALUES
  ('9xq3ad7m1jgqbpw8ztkyh6c5ar', 1735689600000, 1735689600000, 0, 'sysadmin', '$2a$10$c2FsdHNhbHRzYWx0c2FsdGhhc2g', NULL, '', 'sysadmin@example.net', 1, '', '', '', 'system_admin system_user', 'en', ''),
  ('k5w8ubqzrjfd3ynm4t1hx6oe7c', 1735689700000, 1735689700000, 0, 'feedbackbot', '', NULL, '', 'feedbackbot@localhost', 0, '', 'Feedbackbot', '', 'system_user', 'en', ''),
  ('ge4dkz1p8bfhxm3r6wqa9tjc5y', 1736000000000, 1736000000000, 0, 'gina', '', '4711', 'gitlab', 'gina@example.net', 1, '', 'Gina', 'Green', 'system_user', 'en', ''),
  ('a1c3e5g7i9k1m3o5q7s9u1w3y5', 1736100000000, 1736100000000, 0, 'alice', '', 'alice@example.net', 'saml', 'alice@example.net', 1, 'ali', 'Alice', 'Adams', 'system_user', 'en', 'Engineer'),
  ('b2d4f6h8j0l2n4p6r8t0v2x4z6', 1736100001000, 1736100001000, 0, 'bob', '', 'bob@example.net', 'saml', 'bob@example.net', 1, '', 'Bob', 'Baker', 'system_user', 'en', ''),
  ('c3e5g7i9k1m3o5q7s9u1w3y5a7', 1736100002000, 1736208000000, 1736208000000, 'carol', '', 'carol@example.net', 'saml', 'carol@example.net', 1, '', 'Carol', 'Clark', 'system_user', 'en', ''),
  ('d4f6h8j0l2n4p6r8t0v2x4z6b8', 1736100003000, 1736100003000, 0, 'dave', '', 'dave@example.net', 'saml', 'dave@example.net', 1, '', 'Dave', 'Dunn', 'system_user', 'en', '');
INSERT INTO Bots (UserId, Description, OwnerId, CreateAt, UpdateAt, DeleteAt, LastIconUpdate) VALUES
  ('k5w8ubqzrjfd3ynm4t1hx6oe7c', 'Collects user feedback', 'com.mattermost.nps', 1735689700000, 1735689700000, 0, 0);

-- Four teams: Engineering (open; Bob left it on 2025-01-06, the admin and
-- Gina of GitLab are members), Sales (invite only; Carol left it when she
-- was deactivated), Staff (the admin's, with Alice) and Support, archived
-- on 2025-01-06 with its members' rows kept.
INSERT INTO Teams (Id, CreateAt, UpdateAt, DeleteAt, DisplayName, Name, Description, Email, Type, CompanyName, AllowedDomains, InviteId, SchemeId, AllowOpenInvite, LastTeamIconUpdate, GroupConstrained) VALUES
  ('3izrntoe5gtrggzf86qz3qu8sc', 1735689800000, 1735689800000, 0, 'Engineering', 'engineering', '', 'sysadmin@example.net', 'O', '', '', 'xkdmxa4mrcd9w48rb4h8msrffw', NULL, 1, 0, 0),
  ('ebkkua1ba9jzgpnyrn3s3ekb8w', 1735689900000, 1735689900000, 0, 'Sales', 'sales', '', 'sysadmin@example.net', 'I', '', '', 'q1wtojr8eebxmhdsmqy3j1yh5r', NULL, 0, 0, 0),
  ('gkcopruzxfw8ph1fftijbxoh8y', 1735690000000, 1735690000000, 0, 'Staff', 'staff', '', 'sysadmin@example.net', 'I', '', '', 'jm7pd9q1nk3bcudiro4yt6hs8w', NULL, 0, 0, 0),
  ('f6yef6cm3ws56bytduh7ckp9cy', 1735690100000, 1736150400000, 1736150400000, 'Support', 'support', '', 'sysadmin@example.net', 'O', '', '', 'bw5zc8tk4ydnfq1rxeiu7ga3pm', NULL, 1, 0, 0);
INSERT INTO TeamMembers (TeamId, UserId, Roles, DeleteAt, SchemeUser, SchemeAdmin, SchemeGuest) VALUES
  ('3izrntoe5gtrggzf86qz3qu8sc', '9xq3ad7m1jgqbpw8ztkyh6c5ar', '', 0, 1, 1, 0),
  ('3izrntoe5gtrggzf86qz3qu8sc', 'ge4dkz1p8bfhxm3r6wqa9tjc5y', '', 0, 1, 0, 0),
  ('3izrntoe5gtrggzf86qz3qu8sc', 'a1c3e5g7i9k1m3o5q7s9u1w3y5', '', 0, 1, 0, 0),
  ('3izrntoe5gtrggzf86qz3qu8sc', 'b2d4f6h8j0l2n4p6r8t0v2x4z6', '', 1736150000000, 1, 0, 0),
  ('ebkkua1ba9jzgpnyrn3s3ekb8w', 'b2d4f6h8j0l2n4p6r8t0v2x4z6', '', 0, 1, 0, 0),
  ('ebkkua1ba9jzgpnyrn3s3ekb8w', 'd4f6h8j0l2n4p6r8t0v2x4z6b8', '', 0, 1, 0, 0),
  ('ebkkua1ba9jzgpnyrn3s3ekb8w', 'c3e5g7i9k1m3o5q7s9u1w3y5a7', '', 1736208000000, 1, 0, 0),
  ('gkcopruzxfw8ph1fftijbxoh8y', '9xq3ad7m1jgqbpw8ztkyh6c5ar', '', 0, 1, 1, 0),
  ('gkcopruzxfw8ph1fftijbxoh8y', 'a1c3e5g7i9k1m3o5q7s9u1w3y5', '', 0, 1, 0, 0),
  ('f6yef6cm3ws56bytduh7ckp9cy', 'a1c3e5g7i9k1m3o5q7s9u1w3y5', '', 0, 1, 0, 0),
  ('f6yef6cm3ws56bytduh7ckp9cy', 'd4f6h8j0l2n4p6r8t0v2x4z6b8', '', 0, 1, 0, 0);

-- Not Mattermost's: the three indexes `retroscim check` proposes for
-- Okta's and Entra's lookup of a team by name and for reading a team's
-- live members (and a user's live teams) without the rows of those who
-- left. Mattermost's own (TeamId, UserId) key and UserId index serve the
-- same reads, also reading the rows with DeleteAt set.
CREATE INDEX ix_Teams_DeleteAt_DisplayName ON Teams (DeleteAt, DisplayName);
CREATE INDEX ix_TeamMembers_TeamId_DeleteAt_UserId ON TeamMembers (TeamId, DeleteAt, UserId);
CREATE INDEX ix_TeamMembers_UserId_DeleteAt_TeamId ON TeamMembers (UserId, DeleteAt, TeamId);
